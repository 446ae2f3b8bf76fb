import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent, Status
from tests.complaints.factories import ComplaintFactory, IncidentFactory
from tests.factories import ContactFactory, SubscriptionFactory
from tracker.notifications.models import NotificationJob

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


def _file(contact, subscription, **overrides):
    kwargs = {
        "contact": contact,
        "subscription": subscription,
        "category": "cannot_receive_email",
        "since": timezone.now() - timedelta(hours=1),
        "description": "No e-mail arrives.",
        "submission_token": uuid.uuid4(),
        "user": contact.user,
    }
    kwargs.update(overrides)
    return services.complaint_file(**kwargs)


def test_filing_gives_a_reference_an_event_and_a_confirmation_job(
    contact, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        complaint, created = _file(contact, subscription, loss_amount=Decimal("250.00"))

    assert created is True
    complaint.refresh_from_db()
    assert complaint.reference == f"C-{timezone.now().year}-{complaint.pk:06d}"
    assert complaint.status == Status.NEW
    assert complaint.business_id == subscription.business_id
    assert (complaint.service_id, complaint.region_id) == (subscription.service_id, subscription.region_id)
    assert complaint.loss_currency == "CHF"
    assert complaint.has_loss is True
    assert complaint.sla_due_at == complaint.first_response_due_at
    assert list(complaint.events.values_list("kind", "is_public")) == [("filed", True)]
    job = NotificationJob.objects.get()
    assert (job.kind, job.params) == (
        "complaint.update",
        {"complaint_id": complaint.pk, "event_id": complaint.events.get().pk},
    )
    assert len(callbacks) == 1


def test_same_submission_token_twice_creates_one_complaint(contact, subscription):
    token = uuid.uuid4()
    first, created_first = _file(contact, subscription, submission_token=token)
    second, created_second = _file(contact, subscription, submission_token=token)

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Complaint.objects.count() == 1


def test_filing_for_another_business_subscription_is_rejected(contact):
    other = SubscriptionFactory()
    with pytest.raises(ValidationError):
        _file(contact, other)
    assert Complaint.objects.count() == 0


def test_filing_links_the_matching_open_incident(contact, subscription):
    incident = IncidentFactory(services=[subscription.service], regions=[subscription.region])
    IncidentFactory(services=[subscription.service], regions=[])  # other region: no match

    complaint, _ = _file(contact, subscription)

    assert complaint.incident_id == incident.pk


def test_filing_ignores_resolved_and_other_service_incidents(contact, subscription):
    IncidentFactory(
        services=[subscription.service],
        regions=[subscription.region],
        status="resolved",
        resolved_at=timezone.now() - timedelta(days=2),
    )
    IncidentFactory(services=[SubscriptionFactory().service], regions=[subscription.region])

    complaint, _ = _file(contact, subscription)

    assert complaint.incident_id is None


def test_filing_sees_an_incident_declared_or_resolved_after_the_previous_filing(contact, subscription):
    before, _ = _file(contact, subscription)  # the matching snapshot of active incidents is built here
    incident = IncidentFactory(services=[subscription.service], regions=[subscription.region])

    after, _ = _file(contact, subscription)
    incident.status, incident.resolved_at = "resolved", timezone.now() - timedelta(minutes=1)
    incident.save()
    later, _ = _file(contact, subscription, since=timezone.now())

    assert (before.incident_id, after.incident_id, later.incident_id) == (None, incident.pk, None)


def test_files_are_stored_under_random_names(contact, subscription):
    upload = SimpleUploadedFile("../../etc/passwd.pdf", PDF, content_type="application/pdf")
    complaint, _ = _file(contact, subscription, files=[(upload, "application/pdf")])

    attachment = ComplaintAttachment.objects.get(complaint=complaint)
    assert attachment.original_name == "passwd.pdf"
    assert attachment.file.name.startswith("complaints/")
    assert attachment.file.name.endswith(".pdf")
    assert "passwd" not in attachment.file.name
    assert attachment.file.read() == PDF


def test_allowed_transition_records_event_and_notifies(agent):
    complaint = ComplaintFactory()

    event = services.complaint_transition(complaint_id=complaint.pk, to_status=Status.TRIAGED, actor=agent)

    complaint.refresh_from_db()
    assert complaint.status == Status.TRIAGED
    assert complaint.first_responded_at is not None
    assert complaint.sla_due_at == complaint.resolution_due_at
    assert (event.actor, event.from_status, event.to_status, event.is_public) == (agent, "new", "triaged", True)
    assert NotificationJob.objects.filter(kind="complaint.update", params__event_id=event.pk).count() == 1


def test_forbidden_transition_changes_nothing(agent):
    complaint = ComplaintFactory(status=Status.TRIAGED)

    with pytest.raises(ValidationError) as exc:
        services.complaint_transition(complaint_id=complaint.pk, to_status=Status.NEW, actor=agent)

    assert exc.value.code == "bad_transition"
    complaint.refresh_from_db()
    assert complaint.status == Status.TRIAGED
    assert complaint.events.count() == 0
    assert NotificationJob.objects.count() == 0


def test_rejecting_needs_a_reason(agent):
    complaint = ComplaintFactory()
    with pytest.raises(ValidationError):
        services.complaint_transition(complaint_id=complaint.pk, to_status=Status.REJECTED, actor=agent, reason="  ")
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW

    event = services.complaint_transition(
        complaint_id=complaint.pk, to_status=Status.REJECTED, actor=agent, reason="Not our network"
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.REJECTED
    assert complaint.closed_at is not None
    assert complaint.sla_due_at is None
    assert event.body == "Not our network"


def test_reopen_within_the_window_only(agent, settings):
    settings.COMPLAINTS_REOPEN_DAYS = 14
    recent = ComplaintFactory(status=Status.RESOLVED, closed_at=timezone.now() - timedelta(days=13))
    old = ComplaintFactory(status=Status.RESOLVED, closed_at=timezone.now() - timedelta(days=15))

    services.complaint_transition(complaint_id=recent.pk, to_status=Status.IN_PROGRESS, actor=agent)
    with pytest.raises(ValidationError) as exc:
        services.complaint_transition(complaint_id=old.pk, to_status=Status.IN_PROGRESS, actor=agent)

    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.status, recent.closed_at) == (Status.IN_PROGRESS, None)
    assert old.status == Status.RESOLVED
    assert exc.value.code == "reopen_expired"


def test_waiting_for_customer_pauses_the_sla(agent):
    complaint = ComplaintFactory(status=Status.IN_PROGRESS, first_responded_at=timezone.now())
    due_before = complaint.resolution_due_at
    services.complaint_transition(complaint_id=complaint.pk, to_status=Status.WAITING, actor=agent)
    complaint.refresh_from_db()
    assert complaint.sla_due_at is None
    assert complaint.sla_paused_at is not None

    # Two hours of waiting later, the customer answers: the due time moves by two hours.
    Complaint.objects.filter(pk=complaint.pk).update(sla_paused_at=timezone.now() - timedelta(hours=2))
    services.complaint_customer_reply(
        complaint_id=complaint.pk, contact=complaint.contact, user=None, body="Here are the details."
    )

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS
    assert complaint.sla_paused_at is None
    shift = complaint.resolution_due_at - due_before
    assert timedelta(hours=2) - timedelta(seconds=5) < shift < timedelta(hours=2) + timedelta(seconds=5)
    assert complaint.sla_due_at == complaint.resolution_due_at


def test_priority_and_tier_set_due_times(agent):
    complaint = ComplaintFactory(business__tier="premium")
    services.complaint_set_priority(complaint_id=complaint.pk, actor=agent, priority="urgent")
    complaint.refresh_from_db()
    assert complaint.first_response_due_at - complaint.created_at == timedelta(minutes=30)
    assert complaint.resolution_due_at - complaint.created_at == timedelta(hours=4)
    assert complaint.events.get().data == {"from": "normal", "to": "urgent"}


def test_note_is_internal_and_not_notified(agent):
    complaint = ComplaintFactory()
    event = services.complaint_note(complaint_id=complaint.pk, actor=agent, body="Customer is a VIP")
    assert event.is_public is False
    assert NotificationJob.objects.count() == 0


def test_reply_with_canned_answer_is_public(agent):
    complaint = ComplaintFactory()
    event = services.complaint_reply(complaint_id=complaint.pk, actor=agent, body="", canned="investigating")
    assert event.is_public is True
    assert event.data == {"canned": "investigating", "extra": ""}
    from django.utils.translation import override

    with override("en"):
        assert event.display_body() == "Thank you for your report. Our technicians are investigating the problem."
    assert NotificationJob.objects.filter(params__event_id=event.pk).count() == 1


def test_merge_and_unmerge_restore_the_status(agent):
    primary = ComplaintFactory()
    duplicate = ComplaintFactory(business=primary.business, status=Status.TRIAGED)

    services.complaint_mark_duplicate(complaint_id=duplicate.pk, actor=agent, primary=primary)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id) == (Status.DUPLICATE, primary.pk)

    services.complaint_unmerge(complaint_id=duplicate.pk, actor=agent)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of_id, duplicate.closed_at) == (Status.TRIAGED, None, None)
    assert list(duplicate.events.values_list("kind", flat=True)) == ["status", "merged", "status", "unmerged"]


def test_cannot_merge_across_businesses(agent):
    primary = ComplaintFactory()
    other = ComplaintFactory()
    with pytest.raises(ValidationError):
        services.complaint_mark_duplicate(complaint_id=other.pk, actor=agent, primary=primary)
    other.refresh_from_db()
    assert other.status == Status.NEW


def test_history_cannot_be_edited_or_deleted(agent):
    complaint = ComplaintFactory()
    event = services.complaint_note(complaint_id=complaint.pk, actor=agent, body="first")

    event.body = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        ComplaintEvent.objects.filter(pk=event.pk).update(body="x")
    with pytest.raises(PermissionDenied):
        ComplaintEvent.objects.filter(pk=event.pk).delete()
    assert ComplaintEvent.objects.get(pk=event.pk).body == "first"


def test_bulk_transition_goes_through_the_workflow(agent):
    ok = ComplaintFactory()
    closed = ComplaintFactory(status=Status.RESOLVED, closed_at=timezone.now() - timedelta(days=90))

    done, errors = services.complaints_transition(
        complaint_ids=[ok.pk, closed.pk], actor=agent, to_status=Status.IN_PROGRESS, canned="investigating"
    )

    assert done == 1
    assert len(errors) == 1 and closed.reference in errors[0]
    ok.refresh_from_db()
    closed.refresh_from_db()
    assert (ok.status, closed.status) == (Status.IN_PROGRESS, Status.RESOLVED)


def test_customer_reply_on_other_business_is_refused():
    complaint = ComplaintFactory()
    stranger = ContactFactory()
    with pytest.raises(ValidationError):
        services.complaint_customer_reply(complaint_id=complaint.pk, contact=stranger, user=None, body="hi")
    assert complaint.events.count() == 0
