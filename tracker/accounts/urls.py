from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/link/", views.login_link_request, name="login_link_request"),
    path("login/link/<str:token>/", views.login_link, name="login_link"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
