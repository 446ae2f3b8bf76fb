"""Every write of the complaints app. Status changes go through complaint_transition only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Contact, Subscription
from tracker.incidents.models import Incident
from tracker.notifications.services import notification_job_create

from . import sla
from .canned import CANNED_ANSWERS, canned_text
from .models import (
    CLOSED_STATUSES,
    REASON_REQUIRED,
    TRANSITIONS,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    Priority,
    Status,
)
from .selectors import complaint_is_visible_to, incident_matching_id

NOTIFIED_KINDS = {ComplaintEvent.Kind.FILED, ComplaintEvent.Kind.STATUS, ComplaintEvent.Kind.REPLY}


def _event(*, complaint: Complaint, kind: str, actor=None, is_public: bool = False, **fields) -> ComplaintEvent:
    event = ComplaintEvent.objects.create(complaint=complaint, kind=kind, actor=actor, is_public=is_public, **fields)
    if is_public and kind in NOTIFIED_KINDS:
        notification_job_create(
            kind="complaint.update",
            params={"complaint_id": complaint.pk, "event_id": event.pk},
            created_by=actor if actor is not None and actor.is_staff else None,
        )
    return event


def _locked(complaint_id: int) -> Complaint:
    return Complaint.objects.select_for_update().select_related("business").get(pk=complaint_id)


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.sla_due_at = sla.next_due(complaint)
    complaint.save(update_fields=[*fields, "sla_due_at", "updated_at"])


def _mark_first_response(complaint: Complaint, *, now) -> list[str]:
    if complaint.first_responded_at is None:
        complaint.first_responded_at = now
        return ["first_responded_at"]
    return []


def complaint_file(
    *,
    contact: Contact,
    subscription: Subscription,
    category: str,
    since,
    description: str,
    loss_amount: Decimal | None = None,
    loss_currency: str = "",
    files: list[tuple[object, str]] | None = None,
    submission_token=None,
    user=None,
) -> tuple[Complaint, bool]:
    """File a complaint for the contact's business. Returns (complaint, created).

    The same submission token twice (a double submit) returns the first complaint.
    `files` are (uploaded file, checked content type) pairs from complaints.uploads.
    """
    if contact.business_id is None or subscription.business_id != contact.business_id:
        raise ValidationError(_("Choose one of your business's services."), code="foreign_subscription")
    try:
        complaint = _complaint_create(
            contact=contact,
            subscription=subscription,
            category=category,
            since=since,
            description=description,
            loss_amount=loss_amount,
            loss_currency=loss_currency,
            files=files,
            submission_token=submission_token,
            user=user,
        )
    except IntegrityError:
        # The same form sent twice: the first complaint is the answer (no second one, no second e-mail).
        # Caught outside the transaction, which the failed insert has ended: no savepoint on every filing.
        existing = Complaint.objects.filter(submission_token=submission_token).first() if submission_token else None
        if existing is None:
            raise
        if not complaint_is_visible_to(complaint=existing, contact=contact):
            raise ValidationError(_("This form was already used. Reload the page."), code="token_used") from None
        return existing, False
    return complaint, True


@transaction.atomic
def _complaint_create(
    *, contact, subscription, since, loss_amount, loss_currency, files, submission_token, user, **fields
):
    now = timezone.now()
    first_due, resolution_due = sla.due_times(priority=Priority.NORMAL, tier=contact.business.tier, start=now)
    incident_id = incident_matching_id(
        service_id=subscription.service_id, region_id=subscription.region_id, since=since
    )
    complaint = Complaint(
        pk=_reserved_id(),
        business_id=contact.business_id,
        contact=contact,
        subscription=subscription,
        service_id=subscription.service_id,
        region_id=subscription.region_id,
        site_label=subscription.site_label,
        since=since,
        loss_amount=loss_amount,
        loss_currency=(loss_currency or subscription.currency) if loss_amount is not None else "",
        has_loss=bool(loss_amount),
        incident_id=incident_id,
        first_response_due_at=first_due,
        resolution_due_at=resolution_due,
        sla_due_at=first_due,
        **fields,
    )
    if submission_token is not None:
        complaint.submission_token = submission_token
    if complaint.pk is not None:
        complaint.reference = _reference(now, complaint.pk)
        complaint.save(force_insert=True)
    else:
        complaint.save()
        complaint.reference = _reference(now, complaint.pk)
        Complaint.objects.filter(pk=complaint.pk).update(reference=complaint.reference)
    for uploaded, content_type in files or []:
        _attach(complaint=complaint, uploaded=uploaded, content_type=content_type, user=user)
    _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.FILED,
        actor=user,
        is_public=True,
        to_status=Status.NEW,
        data={"incident_id": incident_id} if incident_id else {},
    )
    return complaint


def _reference(now, pk: int) -> str:
    return f"C-{now.year}-{pk:06d}"


def _reserved_id() -> int | None:
    """PostgreSQL hands out the id before the insert, so the row is written once, reference included.

    Elsewhere (SQLite) the reference follows in an update. On PostgreSQL that update would write a second
    version of the row into every index of the table.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Complaint._meta.db_table])
        return cursor.fetchone()[0]


def _attach(*, complaint: Complaint, uploaded, content_type: str, user) -> ComplaintAttachment:
    attachment = ComplaintAttachment(
        complaint=complaint,
        original_name=(uploaded.name or "file")[:200],
        content_type=content_type,
        size=uploaded.size,
        uploaded_by=user,
    )
    attachment.file.save("evidence", uploaded, save=False)
    attachment.save()
    return attachment


@transaction.atomic
def complaint_add_evidence(
    *, complaint_id: int, files: list[tuple[object, str]], user, contact: Contact | None = None
) -> list[ComplaintAttachment]:
    """Attach checked evidence files (from complaints.uploads) to a filed complaint.

    A contact adds files to its own business's open complaint; staff (contact None) to any open one.
    At most uploads.MAX_FILES_PER_COMPLAINT in all, counted under the row lock.
    """
    if not files:
        raise ValidationError(_("Add at least one file."), code="empty")
    complaint = _locked(complaint_id)
    if contact is not None and not complaint_is_visible_to(complaint=complaint, contact=contact):
        raise ValidationError(_("This complaint is not yours."), code="not_yours")
    if complaint.status in CLOSED_STATUSES:
        raise ValidationError(_("This complaint is closed."), code="closed")
    _check_file_room(complaint, len(files))
    attachments = [
        _attach(complaint=complaint, uploaded=uploaded, content_type=content_type, user=user)
        for uploaded, content_type in files
    ]
    _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.FILE,
        actor=user,
        is_public=True,
        data={"files": [attachment.original_name for attachment in attachments]},
    )
    return attachments


@transaction.atomic
def complaint_transition(
    *,
    complaint_id: int,
    to_status: str,
    actor,
    reason: str = "",
    public_reply: str = "",
    canned: str = "",
    duplicate_of: Complaint | None = None,
) -> ComplaintEvent:
    """The one place a complaint's status changes: checks the table, records the event, notifies."""
    complaint = _locked(complaint_id)
    from_status = complaint.status
    now = timezone.now()
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise ValidationError(
            _("A complaint cannot go from %(from)s to %(to)s."),
            code="bad_transition",
            params={"from": Status(from_status).label, "to": Status(to_status).label if to_status in Status else "?"},
        )
    if from_status in CLOSED_STATUSES:
        limit = (complaint.closed_at or now) + timedelta(days=settings.COMPLAINTS_REOPEN_DAYS)
        if now > limit:
            raise ValidationError(
                _("This complaint was closed more than %(days)s days ago and cannot be reopened."),
                code="reopen_expired",
                params={"days": settings.COMPLAINTS_REOPEN_DAYS},
            )
    reason = (reason or "").strip()
    public_reply = (public_reply or "").strip()
    if canned and canned not in CANNED_ANSWERS:
        raise ValidationError(_("Unknown canned answer."), code="bad_canned")
    if to_status in REASON_REQUIRED and not reason:
        raise ValidationError(_("Give a reason for rejecting the complaint."), code="reason_required")
    if to_status == Status.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == complaint.pk:
            raise ValidationError(_("Choose the complaint this one duplicates."), code="duplicate_of_required")
        if duplicate_of.business_id != complaint.business_id:
            raise ValidationError(
                _("A complaint can only duplicate another complaint of the same business."), code="duplicate_business"
            )
        if duplicate_of.status == Status.DUPLICATE:
            raise ValidationError(_("%(ref)s is itself a duplicate."), code="chain", params={"ref": duplicate_of})
    fields = ["status"]
    if from_status == Status.WAITING:
        sla.resume(complaint, now=now)
        fields += ["sla_paused_at", "first_response_due_at", "resolution_due_at"]
    if to_status == Status.WAITING:
        sla.pause(complaint, now=now)
        fields.append("sla_paused_at")
    if actor is not None and getattr(actor, "is_staff", False):
        fields += _mark_first_response(complaint, now=now)
    data = {}
    if to_status in CLOSED_STATUSES:
        complaint.closed_at = now
        fields.append("closed_at")
    if from_status in CLOSED_STATUSES:
        complaint.closed_at = None
        fields.append("closed_at")
    if to_status == Status.DUPLICATE:
        complaint.duplicate_of = duplicate_of
        fields.append("duplicate_of")
        data = {"duplicate_of": duplicate_of.pk, "duplicate_of_reference": duplicate_of.reference}
    if from_status == Status.DUPLICATE:
        data = {"was_duplicate_of": complaint.duplicate_of_id}
        complaint.duplicate_of = None
        fields.append("duplicate_of")
    complaint.status = to_status
    _save(complaint, *dict.fromkeys(fields))
    if canned:
        data.update({"canned": canned, "reason": reason, "extra": public_reply})
    body = "\n\n".join(part for part in (reason, canned_text(canned), public_reply) if part)
    return _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS,
        actor=actor,
        is_public=True,
        from_status=from_status,
        to_status=to_status,
        body=body[:5000],
        data=data,
    )


@transaction.atomic
def complaint_reply(*, complaint_id: int, actor, body: str, canned: str = "") -> ComplaintEvent:
    """A public reply from staff: the customer sees it and is notified."""
    body = (body or "").strip()
    if canned and canned not in CANNED_ANSWERS:
        raise ValidationError(_("Unknown canned answer."), code="bad_canned")
    if not body and not canned:
        raise ValidationError(_("Write a reply."), code="empty")
    data = {"canned": canned, "extra": body} if canned else {}
    body = "\n\n".join(part for part in (canned_text(canned), body) if part)
    complaint = _locked(complaint_id)
    fields = _mark_first_response(complaint, now=timezone.now())
    if fields:
        _save(complaint, *fields)
    return _event(
        complaint=complaint, kind=ComplaintEvent.Kind.REPLY, actor=actor, is_public=True, body=body[:5000], data=data
    )


@transaction.atomic
def complaint_note(*, complaint_id: int, actor, body: str) -> ComplaintEvent:
    """An internal note: staff only, never shown to nor sent to the customer."""
    body = (body or "").strip()
    if not body:
        raise ValidationError(_("Write a note."), code="empty")
    complaint = _locked(complaint_id)
    return _event(complaint=complaint, kind=ComplaintEvent.Kind.NOTE, actor=actor, is_public=False, body=body[:5000])


def _check_file_room(complaint: Complaint, adding: int) -> None:
    from .uploads import MAX_FILES_PER_COMPLAINT

    existing = complaint.attachments.count() if adding else 0
    if existing + adding > MAX_FILES_PER_COMPLAINT:
        raise ValidationError(
            _("A complaint has at most %(max)s files; this one already has %(count)s."),
            code="too_many",
            params={"max": MAX_FILES_PER_COMPLAINT, "count": existing},
        )


@transaction.atomic
def complaint_customer_reply(
    *, complaint_id: int, contact: Contact, user, body: str, files: list[tuple[object, str]] | None = None
) -> ComplaintEvent:
    """The customer answers (and may add files). A complaint waiting for the customer goes back to work."""
    body = (body or "").strip()
    if not body and not files:
        raise ValidationError(_("Write a message or add a file."), code="empty")
    complaint = _locked(complaint_id)
    # A plain contact answers only their own complaints; a business admin any of the business's.
    if not complaint_is_visible_to(complaint=complaint, contact=contact):
        raise ValidationError(_("This complaint is not yours."), code="not_yours")
    if complaint.status in CLOSED_STATUSES:
        raise ValidationError(_("This complaint is closed."), code="closed")
    _check_file_room(complaint, len(files or []))
    names = []
    for uploaded, content_type in files or []:
        names.append(
            _attach(complaint=complaint, uploaded=uploaded, content_type=content_type, user=user).original_name
        )
    event = _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.CUSTOMER_REPLY,
        actor=user,
        is_public=True,
        body=body[:5000],
        data={"files": names} if names else {},
    )
    if complaint.status == Status.WAITING:
        complaint_transition(complaint_id=complaint.pk, to_status=Status.IN_PROGRESS, actor=user)
    return event


@transaction.atomic
def complaint_assign(*, complaint_id: int, actor, assignee) -> ComplaintEvent | None:
    complaint = _locked(complaint_id)
    new_id = assignee.pk if assignee else None
    if complaint.assignee_id == new_id:
        return None
    previous = complaint.assignee_id
    complaint.assignee = assignee
    _save(complaint, "assignee")
    return _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.ASSIGNED,
        actor=actor,
        data={"from": previous, "to": new_id, "to_name": assignee.get_username() if assignee else ""},
    )


@transaction.atomic
def complaint_set_priority(*, complaint_id: int, actor, priority: str) -> ComplaintEvent | None:
    if priority not in Priority.values:
        raise ValidationError(_("Unknown priority."), code="bad_priority")
    complaint = _locked(complaint_id)
    if complaint.priority == priority:
        return None
    previous = complaint.priority
    complaint.priority = priority
    sla.reprioritize(complaint, tier=complaint.business.tier)
    _save(complaint, "priority", "first_response_due_at", "resolution_due_at")
    return _event(
        complaint=complaint, kind=ComplaintEvent.Kind.PRIORITY, actor=actor, data={"from": previous, "to": priority}
    )


@transaction.atomic
def complaint_link_incident(*, complaint_id: int, actor, incident: Incident | None) -> ComplaintEvent | None:
    complaint = _locked(complaint_id)
    new_id = incident.pk if incident else None
    if complaint.incident_id == new_id:
        return None
    previous = complaint.incident_id
    complaint.incident = incident
    _save(complaint, "incident")
    return _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.LINKED,
        actor=actor,
        is_public=bool(incident and incident.declared_at),
        data={"from": previous, "to": new_id, "title": incident.title if incident else ""},
    )


@transaction.atomic
def complaint_mark_duplicate(*, complaint_id: int, actor, primary: Complaint) -> ComplaintEvent:
    """A reversible merge: the complaint points at its primary and keeps its own history."""
    event = complaint_transition(
        complaint_id=complaint_id, to_status=Status.DUPLICATE, actor=actor, duplicate_of=primary
    )
    _event(
        complaint=event.complaint,
        kind=ComplaintEvent.Kind.MERGED,
        actor=actor,
        data={"primary": primary.pk, "primary_reference": primary.reference, "previous_status": event.from_status},
    )
    return event


@transaction.atomic
def complaint_unmerge(*, complaint_id: int, actor) -> ComplaintEvent:
    """Undo a merge: the complaint gets back the status it had before it was marked as a duplicate."""
    complaint = _locked(complaint_id)
    if complaint.status != Status.DUPLICATE:
        raise ValidationError(
            _("%(ref)s is not marked as a duplicate."), code="not_duplicate", params={"ref": complaint}
        )
    merged = complaint.events.filter(kind=ComplaintEvent.Kind.MERGED).order_by("-id").first()
    previous = (merged.data.get("previous_status") if merged else None) or Status.IN_PROGRESS
    if previous not in Status.values or previous in CLOSED_STATUSES:
        previous = Status.IN_PROGRESS
    now = timezone.now()
    primary = complaint.duplicate_of_id
    complaint.status = previous
    complaint.duplicate_of = None
    complaint.closed_at = None
    if previous == Status.WAITING:
        sla.pause(complaint, now=now)
    _save(complaint, "status", "duplicate_of", "closed_at", "sla_paused_at")
    _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.STATUS,
        actor=actor,
        is_public=True,
        from_status=Status.DUPLICATE,
        to_status=previous,
        data={"unmerged_from": primary},
    )
    return _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.UNMERGED,
        actor=actor,
        data={"primary": primary, "restored_status": previous},
    )


def _bulk(ids, fn, **kwargs) -> tuple[int, list[str]]:
    """Apply one service per complaint, in primary-key order; collect errors instead of stopping."""
    done, errors = 0, []
    for complaint_id in sorted(ids):
        try:
            with transaction.atomic():
                if fn(complaint_id=complaint_id, **kwargs) is not None:
                    done += 1
        except ValidationError as exc:
            ref = Complaint.objects.filter(pk=complaint_id).values_list("reference", flat=True).first()
            errors.append(f"{ref}: {' '.join(exc.messages)}")
    return done, errors


def complaints_assign(*, complaint_ids, actor, assignee) -> tuple[int, list[str]]:
    return _bulk(complaint_ids, complaint_assign, actor=actor, assignee=assignee)


def complaints_set_priority(*, complaint_ids, actor, priority: str) -> tuple[int, list[str]]:
    return _bulk(complaint_ids, complaint_set_priority, actor=actor, priority=priority)


def complaints_link_incident(*, complaint_ids, actor, incident: Incident) -> tuple[int, list[str]]:
    return _bulk(complaint_ids, complaint_link_incident, actor=actor, incident=incident)


def complaints_transition(
    *, complaint_ids, actor, to_status: str, reason: str = "", public_reply: str = "", canned: str = ""
) -> tuple[int, list[str]]:
    return _bulk(
        complaint_ids,
        complaint_transition,
        actor=actor,
        to_status=to_status,
        reason=reason,
        public_reply=public_reply,
        canned=canned,
    )


def complaints_mark_duplicate(*, complaint_ids, actor, primary: Complaint) -> tuple[int, list[str]]:
    return _bulk([i for i in complaint_ids if i != primary.pk], complaint_mark_duplicate, actor=actor, primary=primary)


def complaints_unmerge(*, complaint_ids, actor) -> tuple[int, list[str]]:
    return _bulk(complaint_ids, complaint_unmerge, actor=actor)


@transaction.atomic
def complaint_sla_breach(*, complaint_id: int) -> ComplaintEvent | None:
    """Flag a missed due time once; the flag stays for reporting."""
    complaint = _locked(complaint_id)
    now = timezone.now()
    if complaint.sla_breached or complaint.sla_due_at is None or complaint.sla_due_at > now:
        return None
    complaint.sla_breached = True
    complaint.save(update_fields=["sla_breached", "updated_at"])
    which = "first_response" if complaint.first_responded_at is None else "resolution"
    return _event(
        complaint=complaint,
        kind=ComplaintEvent.Kind.SLA_BREACHED,
        data={"which": which, "due": complaint.sla_due_at.isoformat()},
    )
