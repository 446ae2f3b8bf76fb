import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tracker.security.middleware import SESSION_LAST_SEEN

pytestmark = pytest.mark.django_db


def _age_session(client, seconds):
    session = client.session
    session[SESSION_LAST_SEEN] = session[SESSION_LAST_SEEN] - seconds
    session.save()


def test_idle_session_is_logged_out(client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(UserFactory())
    assert client.get(reverse("security:overview")).status_code == 200

    _age_session(client, 31 * 60)
    response = client.get(reverse("security:overview"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_active_session_stays(client, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    client.force_login(UserFactory())
    client.get("/")

    _age_session(client, 29 * 60)
    first = client.get(reverse("security:overview"))
    _age_session(client, 29 * 60)
    second = client.get(reverse("security:overview"))

    assert (first.status_code, second.status_code) == (200, 200)


def test_authenticated_pages_offer_log_out(client):
    client.force_login(UserFactory())

    body = client.get("/").content.decode()

    assert 'action="/admin/logout/"' in body or 'action="/accounts/logout/"' in body
    assert 'href="/security/"' in body
