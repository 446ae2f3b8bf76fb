"""A query stopped by the statement timeout answers 503 with Retry-After: a page, or the API's error shape."""

import psycopg
import pytest
from django.db import OperationalError, connection

from tracker.middleware import StatementTimeoutMiddleware

pytestmark = pytest.mark.urls("tests.core.timeout_urls")
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no statement timeout"
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_page_says_try_again_in_the_visitors_language(client):
    response = client.get("/slow/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "trop longtemps" in response.content.decode()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
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
