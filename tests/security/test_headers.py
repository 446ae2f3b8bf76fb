"""Security headers on every page, no-store on authenticated pages and exports, production HTTPS settings."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

# Pages that exist now; every one of them must carry the headers, whatever its status.
PUBLIC_URLS = ["/", "/admin/login/", "/healthz", "/status/", "/accounts/login/", "/petitions/", "/security/"]


def _csp(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def _assert_common_headers(response):
    csp = _csp(response)
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_anonymous_pages_carry_security_headers(client, url):
    response = client.get(url)

    assert response.status_code < 500
    _assert_common_headers(response)


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_pages_have_no_inline_code_the_policy_would_block(client, url):
    """Inline scripts only with this response's nonce; no event-handler or style attributes."""
    response = client.get(url, follow=True)
    nonces = [v[7:-1] for v in _csp(response)["script-src"] if v.startswith("'nonce-")]
    body = response.content.decode()
    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", body) if " src=" not in tag]

    assert [tag for tag in inline_scripts if not any(f'nonce="{n}"' in tag for n in nonces)] == []
    assert re.findall(r"<[^>]+\son[a-z]+\s*=", body) == []
    assert re.findall(r"<[^>]+\sstyle\s*=", body) == []


@pytest.mark.parametrize("url", ["/", "/security/", "/status/"])
def test_authenticated_pages_are_never_stored(client, url):
    client.force_login(ContactFactory(user=UserFactory()).user)

    response = client.get(url)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    _assert_common_headers(response)


def test_anonymous_public_page_is_not_forced_to_no_store(client):
    response = client.get("/")

    assert "no-store" not in response.get("Cache-Control", "")


def test_personal_data_export_is_no_store_attachment(client):
    contact = ContactFactory(user=UserFactory())
    client.force_login(contact.user)

    response = client.get(reverse("security:privacy_export"))

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store")
    assert response["Content-Disposition"] == 'attachment; filename="personal-data.json"'
    _assert_common_headers(response)


def test_response_flagged_no_store_by_a_view(rf):
    from django.http import HttpResponse

    from tracker.security.middleware import SecurityHeadersMiddleware

    def export_view(request):
        response = HttpResponse("a,b\n", content_type="text/csv")
        response.no_store = True
        return response

    request = rf.get("/export.csv")
    response = SecurityHeadersMiddleware(export_view)(request)

    assert response["Cache-Control"].startswith("no-store")


def _production_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ADMIN_REQUIRE_OTP"}}
    env.update(
        TRACKER_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver,status.example.com",
        EMAIL_URL="smtp://mail.example.com:587",
        DJANGO_SETTINGS_MODULE="tracker.settings",
    )
    return env


PRODUCTION_PROBE = """
import json
from django.conf import settings
settings.STORAGES  # load production settings, then serve static names without a manifest
plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": plain_static}
import django
django.setup()
from django.test import Client
client = Client()
plain = client.get("/admin/login/")
api_plain = client.get("/api/")
secure = client.get("/admin/login/", secure=True)
csrf = secure.cookies[settings.CSRF_COOKIE_NAME]
print(json.dumps({
    "plain_status": plain.status_code, "plain_location": plain.get("Location"),
    "api_plain_status": api_plain.status_code,
    "hsts": secure.get("Strict-Transport-Security"),
    "csrf_cookie": settings.CSRF_COOKIE_NAME, "csrf_secure": bool(csrf["secure"]), "csrf_samesite": csrf["samesite"],
    "session_cookie": settings.SESSION_COOKIE_NAME, "session_secure": settings.SESSION_COOKIE_SECURE,
    "session_httponly": settings.SESSION_COOKIE_HTTPONLY, "debug": settings.DEBUG,
    "admin_require_otp": settings.ADMIN_REQUIRE_OTP,
    "language_cookie": [settings.LANGUAGE_COOKIE_NAME, settings.LANGUAGE_COOKIE_SECURE,
                        settings.LANGUAGE_COOKIE_HTTPONLY, settings.LANGUAGE_COOKIE_SAMESITE],
    "messages_in_cookie": "cookie" in settings.MESSAGE_STORAGE,
}))
"""


def test_production_settings_force_https_hsts_and_secure_cookies():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])

    assert probe == {
        "plain_status": 301,
        "plain_location": "https://testserver/admin/login/",
        "api_plain_status": 403,
        "hsts": "max-age=31536000; includeSubDomains; preload",
        "csrf_cookie": "__Host-csrftoken",
        "csrf_secure": True,
        "csrf_samesite": "Lax",
        "session_cookie": "__Host-sessionid",
        "session_secure": True,
        "session_httponly": True,
        "debug": False,
        "admin_require_otp": True,
        "language_cookie": ["__Host-language", True, True, "Lax"],
        "messages_in_cookie": False,
    }


def test_deploy_checklist_passes_at_warning_level():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "System check identified no issues" in result.stdout


def test_deploy_check_warns_when_second_factor_is_off(settings):
    from tracker.security.checks import second_factor_required

    settings.ADMIN_REQUIRE_OTP = False

    assert [w.id for w in second_factor_required(None)] == ["security.W001"]


def test_trace_is_refused(client):
    response = client.generic("TRACE", "/")

    assert response.status_code == 405
    assert "TRACE" not in response["Allow"]


def test_logout_tells_the_browser_to_clear_its_data(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.post("/admin/logout/")

    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session


def test_refused_requests_are_logged_with_the_user_id_only(caplog):
    user = UserFactory(email="secret.person@example.ch")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    with caplog.at_level("WARNING", logger="tracker.security"):
        response = client.post(reverse("security:recovery_codes"), {"next": "secret.person@example.ch"})

    assert response.status_code == 403
    messages = [r.getMessage() for r in caplog.records if r.name == "tracker.security"]
    assert messages == [f"security: refused POST /security/two-factor/recovery-codes/ status=403 user={user.pk}"]


def test_cached_status_page_hits_keep_the_headers(client):
    first = client.get("/status/")
    second = client.get("/status/")

    assert (first.status_code, second.status_code) == (200, 200)
    _assert_common_headers(second)
