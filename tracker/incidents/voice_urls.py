"""/voice/<token>/: what the operator's phone platform plays to callers of a line."""

from django.urls import path

from . import views

app_name = "voice"
urlpatterns = [
    path("<str:token>/", views.voice_announcement, name="announcement"),
]
