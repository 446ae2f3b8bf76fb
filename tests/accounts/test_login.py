import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import ContactFactory, UserFactory
from tracker.accounts.services import login_link_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


def test_login_page_offers_password_and_link(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert 'name="password"' in body
    assert reverse("accounts:login_link_request") in body


def test_password_login_by_email(client):
    user = UserFactory(username="office", email="office@example.com")
    response = client.post(
        reverse("accounts:login"), {"username": "office@example.com", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_is_refused(client):
    UserFactory(username="office", email="office@example.com")
    response = client.post(reverse("accounts:login"), {"username": "office", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_link_is_mailed_after_the_request_and_works_once(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    ContactFactory(user=user, email="boss@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:login_link_request"), {"email": "Boss@Example.com"})

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@example.com"]
    link = re.search(r"https?://\S+/accounts/login/link/\S+/", mail.outbox[0].body).group(0)
    path = link[link.index("/accounts/") :]

    assert client.get(path).status_code == 200  # a confirmation page: nothing happens on GET
    assert "_auth_user_id" not in client.session
    assert client.post(path).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    client.logout()
    assert client.post(path).status_code == 400  # used
    assert "_auth_user_id" not in client.session


def test_unknown_email_gets_the_same_answer_and_no_mail(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:login_link_request"), {"email": "nobody@example.com"})
    assert response.status_code == 200
    assert mail.outbox == []


@pytest.mark.parametrize("token", ["garbage", "x" * 500, "eyJ1Ijo5OTl9:1abc:bad"])
def test_tampered_link_is_refused(client, token):
    assert client.post(reverse("accounts:login_link", args=[token])).status_code == 400


def test_expired_link_is_refused(client, monkeypatch):
    user = UserFactory()
    token = login_link_token(user=user)
    monkeypatch.setattr("tracker.accounts.services.MAX_AGE_SECONDS", -1)
    assert client.post(reverse("accounts:login_link", args=[token])).status_code == 400


def test_link_requests_are_rate_limited(client):
    statuses = [
        client.post(reverse("accounts:login_link_request"), {"email": "a@example.com"}).status_code for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
