"""GDPR: export of what is held on a contact, erasure everywhere, retention."""

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ContactFactory, UserFactory
from tests.security.pii import find_everywhere
from tracker.customers.models import Contact
from tracker.notifications.models import Delivery, NotificationJob
from tracker.security import privacy
from tracker.security.models import RecoveryCodeDevice
from tracker.security.otp import recovery_codes_regenerate
from tracker.security.tasks import apply_retention

pytestmark = pytest.mark.django_db
EMAIL = "anna.muster@example.ch"
PHONE = "+41791234567"


@pytest.fixture
def anna(settings):
    user = UserFactory(username=EMAIL, email=EMAIL, first_name="Anna", last_name="Muster")
    contact = ContactFactory(name="Anna Muster", email=EMAIL, phone=PHONE, user=user)
    job = NotificationJob.objects.create(kind="incident.update", params={"incident_id": 1})
    Delivery.objects.create(job=job, contact=contact, channel="email", status="failed", last_error=f"550 {EMAIL}")
    Delivery.objects.create(job=job, contact=contact, channel="sms", status="sent", provider_message_id=PHONE)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    recovery_codes_regenerate(user=user)
    AccessLog.objects.create(username=EMAIL, ip_address="203.0.113.7", user_agent="x", path_info="/accounts/login/")
    AccessAttempt.objects.create(
        username=EMAIL, ip_address="203.0.113.7", user_agent="x", path_info="/accounts/login/", failures_since_start=1
    )
    return contact


def test_export_holds_the_contacts_own_data(anna):
    other = ContactFactory(email="someone.else@example.ch")

    data = privacy.contact_export(contact=anna)

    assert data["contact_id"] == anna.pk
    assert data["sections"]["contact"]["email"] == EMAIL
    assert data["sections"]["contact"]["phone"] == PHONE
    assert data["sections"]["account"]["username"] == EMAIL
    assert data["sections"]["account"]["two_step_verification"] is True
    assert sorted(d["channel"] for d in data["sections"]["deliveries"]) == ["email", "sms"]
    assert other.email not in json.dumps(data)
    json.dumps(data)  # serialisable as it is


def test_contact_downloads_own_data_only(client, anna):
    other = ContactFactory(user=UserFactory())
    client.force_login(other.user)

    response = client.get(reverse("security:privacy_export"))

    assert response.status_code == 200
    assert response.json()["contact_id"] == other.pk
    assert EMAIL not in response.content.decode()


def test_anonymous_cannot_download(client):
    response = client.get(reverse("security:privacy_export"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_without_contact_gets_404(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("security:privacy_export")).status_code == 404


def test_erasure_leaves_no_email_or_phone_in_database_or_files(anna, settings):
    media = settings.MEDIA_ROOT
    media.mkdir(parents=True, exist_ok=True)
    (media / "unrelated.txt").write_text("nothing personal here")
    assert len(find_everywhere(EMAIL, PHONE)) >= 6  # the search does find what is there
    deliveries_before = Delivery.objects.count()

    privacy.contact_erase(contact=anna)

    assert find_everywhere(EMAIL, PHONE, PHONE[1:]) == []
    anna.refresh_from_db()
    assert (anna.name, anna.email, str(anna.phone), anna.wants_email, anna.wants_sms) == (
        "Erased contact",
        f"erased-{anna.pk}@invalid",
        "",
        False,
        False,
    )
    user = anna.user
    assert (user.username, user.email, user.is_active, user.has_usable_password()) == (
        f"erased-{user.pk}",
        "",
        False,
        False,
    )
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
    # Aggregates survive: the rows are anonymised, not deleted.
    assert Delivery.objects.count() == deliveries_before
    assert Contact.objects.filter(pk=anna.pk).exists()


def test_erased_contact_can_no_longer_log_in(client, anna):
    client.force_login(anna.user)
    privacy.contact_erase(contact=anna)

    response = client.get(reverse("security:overview"))

    assert response.status_code == 302


def test_registered_app_sections_are_exported_and_erased_before_the_core(anna):
    seen = []

    def export(contact):
        return {"email_seen": contact.email}

    def erase(contact):
        seen.append(contact.email)

    privacy.register(name="zz-test-app", export=export, erase=erase)
    try:
        assert privacy.contact_export(contact=anna)["sections"]["zz-test-app"] == {"email_seen": EMAIL}
        privacy.contact_erase(contact=anna)
    finally:
        privacy._sections.pop("zz-test-app")

    assert seen == [EMAIL]


def test_management_command_erases_by_email(anna, capsys):
    call_command("privacy", "erase", "--email", EMAIL.upper(), "--yes")

    assert capsys.readouterr().out.strip() == f"Erased 1 contact(s): {anna.pk}"
    assert find_everywhere(EMAIL, PHONE) == []


def test_management_command_export_prints_json(anna, capsys):
    call_command("privacy", "export", "--contact", str(anna.pk))

    data = json.loads(capsys.readouterr().out)
    assert data[0]["sections"]["contact"]["email"] == EMAIL


def test_retention_removes_old_login_records_and_erases_long_gone_subscribers(settings):
    now = timezone.now()
    fresh = AccessLog.objects.create(username="a", ip_address="192.0.2.1", user_agent="x", path_info="/")
    old = AccessLog.objects.create(username="b", ip_address="192.0.2.2", user_agent="x", path_info="/")
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=now - timedelta(days=91))
    gone = ContactFactory(business=None, email="left@example.ch", unsubscribed_at=now - timedelta(days=400))
    recent = ContactFactory(business=None, email="recent@example.ch", unsubscribed_at=now - timedelta(days=10))

    result = apply_retention.delay().get()

    assert result == {"complaints": 0, "contact": 2, "exports": 0, "petitions": 0, "sessions": 0}
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [fresh.pk]
    gone.refresh_from_db()
    recent.refresh_from_db()
    assert gone.email == f"erased-{gone.pk}@invalid"
    assert recent.email == "recent@example.ch"


def test_retention_is_in_the_beat_schedule(settings):
    assert settings.CELERY_BEAT_SCHEDULE["security-apply-retention"]["task"] == "tracker.security.tasks.apply_retention"
