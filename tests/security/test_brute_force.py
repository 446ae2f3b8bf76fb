"""Brute force: lockout per username and address with a cool-off, and an admission limit on password checks."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tracker.security import admission

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
LOGIN = reverse("admin:login")


def _post(client, username, password, ip="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_that_username_from_that_address_with_a_translated_429(client):
    user = UserFactory(is_staff=True)
    for _ in range(4):
        assert _post(client, user.username, "wrong-password").status_code == 200

    fifth = _post(client, user.username, "wrong-password")
    locked = _post(client, user.username, PASSWORD)
    french = client.post(
        LOGIN, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7", HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert fifth.status_code == 429
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert french.status_code == 429
    assert french["Content-Language"] == "fr"


def test_the_same_user_still_logs_in_from_another_address(client):
    user = UserFactory(is_staff=True)
    for _ in range(6):
        _post(client, user.username, "wrong-password", ip="198.51.100.66")

    response = _post(client, user.username, PASSWORD, ip="203.0.113.7")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_lockout_ends_after_the_cool_off(client):
    user = UserFactory(is_staff=True)
    for _ in range(5):
        _post(client, user.username, "wrong-password")
    assert _post(client, user.username, PASSWORD).status_code == 429
    assert AccessAttempt.objects.count() == 1

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = _post(client, user.username, PASSWORD)

    assert response.status_code == 302


def test_success_resets_the_failure_count(client):
    user = UserFactory(is_staff=True)
    for _ in range(4):
        _post(client, user.username, "wrong-password")
    assert _post(client, user.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(4):
        _post(client, user.username, "wrong-password")
    response = _post(client, user.username, PASSWORD)

    assert response.status_code == 302


def test_admission_limit_per_address_answers_429_before_hashing(client, settings):
    settings.LOGIN_RATE_PER_IP = 3
    user = UserFactory(is_staff=True)
    for name in ("a", "b", "c"):
        _post(client, f"{name}-nobody", "whatever")

    with CaptureQueriesContext(connection) as queries:
        refused = _post(client, user.username, PASSWORD)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) in range(1, 61)
    assert "Too many login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Refused before the user was loaded or a password hashed.
    assert [q["sql"] for q in queries.captured_queries if "accounts_user" in q["sql"]] == []
    assert _post(client, user.username, PASSWORD, ip="192.0.2.10").status_code == 302


def test_admission_limit_per_username_holds_across_addresses(client, settings):
    settings.LOGIN_RATE_PER_USERNAME = 2
    user = UserFactory()
    _post(client, user.username, "wrong", ip="192.0.2.1")
    _post(client, user.username, "wrong", ip="192.0.2.2")

    refused = _post(client, user.username, PASSWORD, ip="192.0.2.3")

    assert refused.status_code == 429
    assert _post(client, "someone-else", "x", ip="192.0.2.3").status_code == 200


def test_concurrent_hash_slots_are_bounded(settings, monkeypatch):
    settings.LOGIN_MAX_CONCURRENT_HASHES = 1
    monkeypatch.setattr(admission, "SLOT_WAIT_SECONDS", 0.05)
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="192.0.2.9")
    user = UserFactory()

    with (
        admission.password_check_admitted(ip="192.0.2.8", username="other"),
        pytest.raises(admission.LoginAdmissionDenied),
    ):
        authenticate(request, username=user.username, password=PASSWORD)

    assert authenticate(request, username=user.username, password=PASSWORD) == user


def test_a_wrong_password_is_hashed_once_across_backends(monkeypatch):
    from django.contrib.auth.base_user import AbstractBaseUser

    calls = []
    original = AbstractBaseUser.check_password

    def counting(self, raw_password):
        calls.append(raw_password)
        return original(self, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting)
    user = UserFactory()
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.20")

    assert authenticate(request, username=user.username, password="wrong-one") is None
    assert calls == ["wrong-one"]


def test_a_session_opened_with_the_plain_model_backend_stays_valid(client):
    user = UserFactory()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("security:overview"))

    assert response.status_code == 200


def test_lockouts_and_admission_refusals_are_logged(client, settings, caplog):
    user = UserFactory(is_staff=True)
    with caplog.at_level("WARNING", logger="tracker.security"):
        for _ in range(5):
            _post(client, user.username, "wrong-password")
        settings.LOGIN_RATE_PER_IP = 1
        _post(client, "someone", "x", ip="192.0.2.44")
        _post(client, "someone", "x", ip="192.0.2.44")

    messages = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert messages == [
        "security: refused POST /admin/login/ status=429 user=anonymous",
        "security: refused POST /admin/login/ status=429 user=anonymous",
    ]
