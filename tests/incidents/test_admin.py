"""Staff screens: declare, correct, publish with a preview of who is told, delivery counts, reminders."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import (
    BusinessFactory,
    ContactFactory,
    IncidentFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.incidents.factories import IncidentUpdateFactory
from tracker.incidents.models import Correction, Incident
from tracker.incidents.tasks import remind_overdue_updates
from tracker.notifications.models import Delivery, NotificationJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_expansion_no_otp(monkeypatch, settings):
    from tracker.notifications import tasks

    monkeypatch.setattr(tasks.expand_job, "delay_on_commit", lambda *args, **kwargs: None)
    settings.ADMIN_REQUIRE_OTP = False


@pytest.fixture
def agent(client):
    user = UserFactory(username="agent-1", email="agent@operator.example", is_staff=True)
    user.groups.add(Group.objects.get(name="agent"))
    client.force_login(user)
    return user


@pytest.fixture
def affected():
    phone = ServiceFactory(slug="business-phone")
    vaud = RegionFactory(code="CH-VD")
    incident = IncidentFactory(services=[phone], regions=[vaud])
    business = BusinessFactory()
    SubscriptionFactory(business=business, service=phone, region=vaud)
    ContactFactory(business=business, wants_email=True, wants_sms=True)
    ContactFactory(business=business, wants_email=True, wants_sms=False)
    ContactFactory(business=business, wants_email=False, wants_sms=True)
    return incident


def test_publish_view_previews_audience_by_channel(client, agent, affected):
    response = client.get(f"/admin/incidents/incident/{affected.pk}/publish/")
    assert response.status_code == 200
    assert "this will notify 3 contacts: 2 by e-mail, 2 by SMS, 0 by webhook." in response.content.decode()


def test_publish_view_publishes_and_notifies(client, agent, affected):
    due = (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    response = client.post(
        f"/admin/incidents/incident/{affected.pk}/publish/",
        {
            "status": "identified",
            "language": "fr",
            "message": "Cause trouvée.",
            "message_de": "Ursache gefunden.",
            "restored_percent": "33",
            "next_update_due_at": due,
            "notify": "on",
        },
    )
    assert response.status_code == 302
    affected.refresh_from_db()
    update = affected.updates.get()
    assert (affected.status, affected.restored_percent) == ("identified", 33)
    assert update.translations == {"de": "Ursache gefunden."}
    assert update.author == agent
    assert NotificationJob.objects.get().pk == update.notification_job_id


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"status": "resolved"}, "resolved_at", "Give the time the outage was resolved."),
        ({"restored_percent": "150"}, "restored_percent", "Ensure this value is less than or equal to 100."),
        (
            {"next_update_due_at": "2001-01-01 10:00"},
            "next_update_due_at",
            "The next update must be promised for a time to come.",
        ),
        ({"status": "resolved", "resolved_at": "2999-01-01 10:00"}, "resolved_at", "This time is in the future."),
    ],
)
def test_publish_view_shows_clear_errors_and_changes_nothing(client, agent, affected, data, field, error):
    post = {"status": "identified", "language": "en", "message": "x", **data}
    response = client.post(f"/admin/incidents/incident/{affected.pk}/publish/", post)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert affected.updates.count() == 0
    assert NotificationJob.objects.count() == 0


def test_add_declares_with_first_update(client, agent):
    phone, vaud = ServiceFactory(), RegionFactory()
    started = (timezone.localtime() - dt.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    response = client.post(
        "/admin/incidents/incident/add/",
        {
            "title": "Business Connect outage",
            "services": [phone.pk],
            "regions": [vaud.pk],
            "severity": "major",
            "started_at_0": started[:10],
            "started_at_1": started[11:],
            "message": "Calls fail.",
            "language": "en",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert incident.declared_at is not None
    assert list(incident.services.all()) == [phone]
    assert incident.updates.get().message == "Calls fail."
    assert NotificationJob.objects.count() == 0  # "notify" left unchecked


def test_add_rejects_future_start(client, agent):
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    response = client.post(
        "/admin/incidents/incident/add/",
        {
            "title": "T",
            "services": [ServiceFactory().pk],
            "regions": [RegionFactory().pk],
            "severity": "major",
            "started_at_0": future[:10],
            "started_at_1": future[11:],
            "message": "x",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["started_at"] == ["This time is in the future."]
    assert Incident.objects.count() == 0


def test_change_records_corrections(client, agent, affected):
    started = timezone.localtime(affected.started_at)
    response = client.post(
        f"/admin/incidents/incident/{affected.pk}/change/",
        {
            "title": "Nationwide telephony outage",
            "services": [s.pk for s in affected.services.all()],
            "regions": [r.pk for r in affected.regions.all()],
            "severity": affected.severity,
            "started_at_0": started.strftime("%Y-%m-%d"),
            "started_at_1": started.strftime("%H:%M:%S.%f"),
            "notify_correction": "on",
            # read-only inlines still send their management forms
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "corrections-TOTAL_FORMS": "0",
            "corrections-INITIAL_FORMS": "0",
            "restoration_snapshots-TOTAL_FORMS": "0",
            "restoration_snapshots-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    assert (correction.field, correction.new_value, correction.notified) == (
        "title",
        "Nationwide telephony outage",
        True,
    )
    assert NotificationJob.objects.filter(kind="incident.correction").count() == 1


def test_change_page_shows_delivery_counts_without_n_plus_one(client, agent, affected):
    contact = ContactFactory()

    def add_updates(n, start):
        for k in range(start, start + n):
            job = NotificationJob.objects.create(kind="incident.update", dedupe_key=f"k{k}")
            IncidentUpdateFactory(incident=affected, notification_job=job)
            Delivery.objects.create(job=job, contact=contact, channel="email", status="sent")
            Delivery.objects.create(job=job, contact=contact, channel="sms", status="failed")

    def page():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/admin/incidents/incident/{affected.pk}/change/").content.decode()
        return html, len(queries)

    page()  # warms per-process caches (content types, permissions)
    add_updates(3, 0)
    html, at_n = page()
    assert html.count("2: 1 sent, 0 pending, 1 failed, 0 skipped") == 3
    add_updates(3, 3)
    html, at_2n = page()
    assert html.count("2: 1 sent, 0 pending, 1 failed, 0 skipped") == 6
    assert at_2n == at_n


def test_overdue_reminder_is_sent_once_per_due_time(agent, affected):
    affected.next_update_due_at = timezone.now() - dt.timedelta(minutes=5)
    affected.save()

    assert remind_overdue_updates() == 1
    assert remind_overdue_updates() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["agent@operator.example"]
    assert affected.title in mail.outbox[0].subject

    # A new promise that passes again reminds again
    affected.next_update_due_at = timezone.now() - dt.timedelta(minutes=1)
    affected.save()
    assert remind_overdue_updates() == 1
    assert len(mail.outbox) == 2


def test_changelist_shows_overdue_indicator(client, agent, affected):
    affected.next_update_due_at = timezone.now() - dt.timedelta(minutes=5)
    affected.save()
    html = client.get("/admin/incidents/incident/").content.decode()
    assert 'alt="True"' in html


def test_publish_view_records_restoration_of_one_region(client, agent, affected):
    vaud = affected.regions.get()
    response = client.post(
        f"/admin/incidents/incident/{affected.pk}/publish/",
        {"status": "monitoring", "language": "en", "message": "Vaud mostly back.", "restored_percent": "66",
         "restored_region": vaud.pk},
    )  # fmt: skip
    assert response.status_code == 302
    affected.refresh_from_db()
    assert affected.restored_percent == 0  # the overall share did not move
    assert list(affected.restoration_snapshots.values_list("region_id", "percent")) == [(vaud.pk, 66)]


def test_update_text_is_corrected_in_the_open(client, agent, affected):
    update = IncidentUpdateFactory(incident=affected, message="Business Connect is down.", translations={"fr": "x"})
    url = f"/admin/incidents/incident/{affected.pk}/updates/{update.pk}/correct/"
    assert client.get(url).status_code == 200

    response = client.post(url, {"message": "Every fixed line is down."})

    assert response.status_code == 302
    update.refresh_from_db()
    assert (update.message, update.translations) == ("Every fixed line is down.", {})
    correction = Correction.objects.get()
    assert (correction.field, correction.previous_value, correction.update, correction.notified) == (
        "update_message",
        "Business Connect is down.",
        update,
        False,
    )
    assert NotificationJob.objects.count() == 0
    html = client.get(f"/status/incidents/{affected.pk}/").content.decode()
    assert "<del>Business Connect is down.</del>" in html


def test_update_correct_view_rejects_empty_text_and_foreign_update(client, agent, affected):
    update = IncidentUpdateFactory(incident=affected, message="Original.")
    other = IncidentFactory()
    assert client.get(f"/admin/incidents/incident/{other.pk}/updates/{update.pk}/correct/").status_code == 404
    response = client.post(f"/admin/incidents/incident/{affected.pk}/updates/{update.pk}/correct/", {"message": " "})
    assert response.status_code == 200
    assert response.context["form"].errors["message"] == ["This field is required."]
    update.refresh_from_db()
    assert update.message == "Original."
    assert Correction.objects.count() == 0
