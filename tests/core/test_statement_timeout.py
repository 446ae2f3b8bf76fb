"""A query stopped by the statement timeout answers 503 with Retry-After: a page, or the API's error shape."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection

from tracker.middleware import StatementTimeoutMiddleware

pytestmark = pytest.mark.urls("tests.core.timeout_urls")
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no statement timeout"
)


@needs_postgresql
@pytest.mark.django_db
def test_page_says_try_again_in_the_visitors_language(client):
    response = client.get("/slow/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "trop longtemps" in response.content.decode()


@needs_postgresql
@pytest.mark.django_db
def test_api_answers_in_its_error_shape(client):
    response = client.get("/api/slow/")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "timeout"


def _wrapped(cause):
    try:
        raise OperationalError("wrapped") from cause
    except OperationalError as exc:
        return exc


def test_only_a_statement_timeout_becomes_503(rf):
    middleware = StatementTimeoutMiddleware(lambda request: None)
    request = rf.get("/api/complaints/")

    assert middleware.process_exception(request, _wrapped(psycopg.errors.QueryCanceled())).status_code == 503
    assert middleware.process_exception(request, _wrapped(psycopg.errors.AdminShutdown())) is None
    assert middleware.process_exception(request, OperationalError("database is locked")) is None


@needs_postgresql
def test_the_setting_reaches_the_server():
    show = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
    )
    env = {**os.environ, "DATABASE_STATEMENT_TIMEOUT": "7", "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    result = subprocess.run(
        [sys.executable, "-c", show],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "7s", result.stderr
