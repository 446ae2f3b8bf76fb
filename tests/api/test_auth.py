"""Bearer tokens stored hashed, shown once in the admin; sessions need the CSRF token."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tracker.api.models import ApiToken
from tracker.api.services import api_token_create, api_token_revoke

from .conftest import RoleClient


def test_token_is_stored_as_a_digest_with_its_prefix(world):
    row, secret = api_token_create(user=world.agent, name="CRM")

    row.refresh_from_db()
    assert row.prefix == secret[:8]
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.prefix, row.digest, row.name)


def test_a_valid_token_authenticates_and_records_its_use(world):
    row, secret = api_token_create(user=world.agent, name="CRM")

    response = RoleClient(secret).get("/api/deliveries/")

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


@pytest.mark.parametrize("case", ["wrong_secret", "unknown_prefix", "revoked", "expired", "inactive_user", "garbage"])
def test_bad_tokens_are_401(world, case):
    row, secret = api_token_create(user=world.agent, name="CRM")
    if case == "wrong_secret":
        secret = secret[:8] + "x" * (len(secret) - 8)
    elif case == "unknown_prefix":
        secret = "zzzzzzzz" + secret[8:]
    elif case == "revoked":
        api_token_revoke(token=row)
    elif case == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    elif case == "inactive_user":
        world.agent.is_active = False
        world.agent.save()
    elif case == "garbage":
        secret = "é" * 20

    response = RoleClient(None).get("/api/deliveries/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == "Bearer"


def test_no_credentials_is_401_with_the_scheme(world):
    response = world.client("anonymous").get("/api/deliveries/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_revoking_twice_keeps_the_first_time(world):
    row, _secret = api_token_create(user=world.agent, name="CRM")
    api_token_revoke(token=row)
    first = row.revoked_at

    api_token_revoke(token=row)

    assert row.revoked_at == first


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.contact_a.user)

    refused = client.post(f"/api/complaints/{'C-1'}/reply/", {"body": "hello"}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]
    assert client.get("/api/complaints/").status_code == 200


def test_admin_shows_the_token_once(world, settings):
    settings.ADMIN_REQUIRE_OTP = False
    world.manager.is_superuser = True
    world.manager.save()
    client = APIClient()
    client.force_login(world.manager)

    response = client.post(
        "/admin/api/apitoken/add/",
        {"user": world.agent.pk, "name": "Billing export", "expires_at_0": "", "expires_at_1": ""},
    )

    assert response.status_code == 200, response.content[:500]
    row = ApiToken.objects.get(name="Billing export")
    secret = response.context["secret"]
    assert secret[:8] == row.prefix
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert "no-store" in response["Cache-Control"]
    page = client.get(f"/admin/api/apitoken/{row.pk}/change/")
    assert page.status_code == 200
    assert secret.encode() not in page.content
    assert RoleClient(secret).get("/api/deliveries/").status_code == 200


def test_other_middleware_refusals_keep_the_error_shape(world, settings):
    # A staff session without its second factor is refused by the security middleware, in the API's shape.
    settings.ADMIN_REQUIRE_OTP = True
    client = APIClient()
    client.force_login(world.agent)

    response = client.get("/api/deliveries/")

    assert response.status_code == 403
    assert response.json() == {
        "error": {"code": "permission_denied", "message": "A second factor is required.", "details": {}}
    }
