"""The top room: every app's URLs meet here."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from . import bench_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    # Second factor enrolment and verification, account security, personal data download.
    path("security/", include("tracker.security.urls")),
    path("status/", include("tracker.incidents.urls")),
    path("voice/", include("tracker.incidents.voice_urls")),
    path("notifications/", include("tracker.notifications.urls")),
    path("complaints/", include("complaints.urls")),
    path("accounts/", include("tracker.accounts.urls")),
    path("petitions/", include("petitions.urls")),
    path("api/", include("tracker.api.urls")),
    path("reports/", include("tracker.reports.urls")),
]

if settings.BENCH_NOOP_VIEW:
    # Benchmark baseline B-NOOP (tests/benchmarks): the middleware stack and nothing else.
    urlpatterns.append(path("bench/noop", bench_views.noop, name="bench-noop"))
