"""The top room: every app's URLs meet here."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("status/", include("tracker.incidents.urls")),
    path("notifications/", include("tracker.notifications.urls")),
    path("complaints/", include("complaints.urls")),
    path("petitions/", include("petitions.urls")),
]
