"""Views whose query PostgreSQL stops (tests/core/test_statement_timeout.py)."""

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import include, path


def _slow_query(request):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("finished")


urlpatterns = [
    path("slow/", _slow_query),
    path("api/slow/", _slow_query),
    path("", include("tracker.urls")),
]
