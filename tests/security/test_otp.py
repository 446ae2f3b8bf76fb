"""Second factor: a staff password alone never reaches the admin."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ContactFactory, UserFactory
from tests.security.factories import StaffFactory, TOTPDeviceFactory
from tests.security.helpers import totp_token
from tracker.security.admin_site import SecureAdminSite
from tracker.security.models import RecoveryCodeDevice
from tracker.security.otp import recovery_codes_regenerate

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"
SETUP = reverse("security:otp_setup")
VERIFY = reverse("security:otp_verify")


@pytest.fixture(autouse=True)
def _otp_on(settings):
    settings.ADMIN_REQUIRE_OTP = True


def _password_login(client, user):
    response = client.post(reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    return response


def test_default_admin_site_is_the_secure_one():
    assert isinstance(admin.site, SecureAdminSite)


def test_staff_without_device_is_sent_to_enrolment_not_admin(client):
    staff = StaffFactory()

    _password_login(client, staff)
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    assert client.get("/admin/customers/business/").status_code == 302
    assert client.get("/admin/login/").status_code == 302


def test_admin_refuses_unverified_staff_even_without_the_gate_middleware(client, settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "tracker.security.middleware.SecondFactorMiddleware"]
    staff = StaffFactory()
    TOTPDeviceFactory(user=staff)

    _password_login(client, staff)
    response = client.get("/admin/")
    login_page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert login_page.status_code == 302
    assert login_page["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get("/admin/customers/business/").status_code == 302


def test_enrolment_shows_svg_qr_and_confirms_with_app_code_then_admin_opens(client):
    staff = StaffFactory()
    _password_login(client, staff)

    page = client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    assert page.status_code == 200
    assert device.confirmed is False
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body
    assert page["Cache-Control"].startswith("no-store")

    done = client.post(SETUP, {"token": totp_token(device), "next": "/admin/"})

    assert done.status_code == 200
    codes = re.findall(r"<code>([A-Z2-7]{4}(?:-[A-Z2-7]{4}){5})</code>", done.content.decode())
    assert len(codes) == 10
    assert done["Cache-Control"].startswith("no-store")
    device.refresh_from_db()
    assert device.confirmed is True
    recovery = RecoveryCodeDevice.objects.get(user=staff)
    assert recovery.remaining == 10
    assert all(code.replace("-", "") not in str(recovery.digests) for code in codes)
    assert client.get("/admin/").status_code == 200


def test_enrolment_rejects_a_wrong_code_and_changes_nothing(client):
    staff = StaffFactory()
    _password_login(client, staff)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=staff)
    wrong = f"{(int(totp_token(device)) + 1) % 1_000_000:06d}"

    response = client.post(SETUP, {"token": wrong})

    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert not RecoveryCodeDevice.objects.filter(user=staff).exists()
    assert client.get("/admin/").status_code == 302


def test_password_alone_cannot_add_a_device_when_one_exists(client):
    staff = StaffFactory()
    TOTPDeviceFactory(user=staff)
    _password_login(client, staff)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_verification_with_totp_opens_admin_and_wrong_code_does_not(client):
    staff = StaffFactory()
    device = TOTPDeviceFactory(user=staff)
    _password_login(client, staff)
    assert client.get("/admin/")["Location"] == f"{VERIFY}?next=%2Fadmin%2F"

    wrong = client.post(VERIFY, {"token": "000000" if totp_token(device) != "000000" else "111111", "next": "/admin/"})
    assert wrong.status_code == 200
    assert client.get("/admin/").status_code == 302

    device.throttle_reset()
    ok = client.post(VERIFY, {"token": totp_token(device, offset_steps=1), "next": "/admin/"})

    assert ok.status_code == 302
    assert ok["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_verification_refuses_an_offsite_next(client):
    staff = StaffFactory()
    device = TOTPDeviceFactory(user=staff)
    _password_login(client, staff)

    response = client.post(VERIFY, {"token": totp_token(device), "next": "https://evil.example/admin/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_recovery_code_works_once(client):
    staff = StaffFactory()
    TOTPDeviceFactory(user=staff)
    codes = recovery_codes_regenerate(user=staff)
    _password_login(client, staff)

    first = client.post(VERIFY, {"token": codes[0].lower(), "next": "/admin/"})
    assert first.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert RecoveryCodeDevice.objects.get(user=staff).remaining == 9

    client.logout()
    _password_login(client, staff)
    again = client.post(VERIFY, {"token": codes[0], "next": "/admin/"})
    assert again.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_api_answers_403_to_unverified_staff(client):
    staff = StaffFactory()
    _password_login(client, staff)

    response = client.get("/api/")

    assert response.status_code == 403
    assert "A second factor is required." in response.content.decode()


def test_contact_without_second_factor_is_not_asked_for_one(client):
    contact = ContactFactory(user=UserFactory())
    client.force_login(contact.user)

    assert client.get("/").status_code == 200


def test_contact_who_enabled_second_factor_must_verify(client):
    user = UserFactory()
    ContactFactory(user=user)
    device = TOTPDeviceFactory(user=user)
    client.force_login(user)

    blocked = client.get("/")
    assert blocked.status_code == 302
    assert blocked["Location"] == f"{VERIFY}?next=%2F"

    client.post(VERIFY, {"token": totp_token(device), "next": "/"})
    assert client.get("/").status_code == 200


def test_contact_can_enable_and_disable_second_factor(client):
    user = UserFactory()
    ContactFactory(user=user)
    client.force_login(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    client.post(SETUP, {"token": totp_token(device)})
    assert client.get(reverse("security:overview")).status_code == 200

    response = client.post(reverse("security:otp_disable"))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
    assert client.get("/").status_code == 200


def test_staff_cannot_disable_second_factor(client):
    staff = StaffFactory()
    device = TOTPDeviceFactory(user=staff)
    _password_login(client, staff)
    client.post(VERIFY, {"token": totp_token(device)})

    client.post(reverse("security:otp_disable"))

    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_a_totp_code_works_only_once(client):
    staff = StaffFactory()
    device = TOTPDeviceFactory(user=staff)
    token = totp_token(device)
    _password_login(client, staff)
    assert client.post(VERIFY, {"token": token}).status_code == 302

    client.logout()
    _password_login(client, staff)
    replay = client.post(VERIFY, {"token": token})

    assert replay.status_code == 200
    assert client.get("/admin/").status_code == 302


def test_verification_gives_a_new_session_key_and_is_logged(client, caplog):
    staff = StaffFactory()
    device = TOTPDeviceFactory(user=staff)
    _password_login(client, staff)
    before = client.session.session_key

    with caplog.at_level("INFO", logger="tracker.security"):
        client.post(VERIFY, {"token": "12345x"})
        device.throttle_reset()
        client.post(VERIFY, {"token": totp_token(device)})

    assert client.session.session_key != before
    assert [r.getMessage() for r in caplog.records if r.name == "tracker.security"] == [
        f"security: second factor failed user={staff.pk}",
        f"security: second factor verified user={staff.pk} device=totp",
    ]


@pytest.mark.parametrize("name", ["security:privacy_export", "security:overview"])
def test_unverified_session_cannot_read_personal_data_or_settings(client, name):
    user = UserFactory()
    ContactFactory(user=user)
    TOTPDeviceFactory(user=user)
    client.force_login(user)

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
