from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("", views.status, name="status"),
    path("history/", views.history, name="history"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="detail"),
    path("feed.atom", views.feed, name="feed"),
    path("services/<slug:slug>/feed.atom", views.service_feed, name="service-feed"),
    path("language/", views.language, name="language"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/sent/", views.subscribe_sent, name="subscribe-sent"),
    path("subscribe/confirm/<str:token>/", views.subscription_confirm, name="subscription-confirm"),
    path("subscribe/cancel/<str:token>/", views.subscription_cancel, name="subscription-cancel"),
]
