"""Pages that belong to no app: the home page and the health check."""

import time

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from tracker.celery import app as celery_app


def home(request):
    return render(request, "tracker/home.html")


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return exc.__class__.__name__
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1, interval_start=0, interval_step=0)
    except Exception as exc:
        return exc.__class__.__name__
    return None


@never_cache
def healthz(request):
    """200 when the database and the broker answer, 503 naming what does not."""
    started = time.monotonic()
    checks = {"database": _check_database(), "broker": _check_broker()}
    body = {
        "status": "ok" if not any(checks.values()) else "unavailable",
        "checks": {name: ("ok" if error is None else f"error: {error}") for name, error in checks.items()},
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
