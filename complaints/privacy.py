"""Personal data in complaints: export, erasure and retention (registered in tracker.security.privacy).

Complaint rows stay (their counts, statuses, times and losses feed the reports); what a person wrote,
the evidence they sent and any copy of their e-mail address or phone number are replaced by a marker.
The history is immutable for everyone else: erasure (GDPR art. 17) and retention are the only writers
allowed to rewrite it, through the model's base manager.
"""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.translation import gettext as _

from tracker.customers.models import Contact

from .models import CLOSED_STATUSES, Complaint, ComplaintAttachment, ComplaintEvent

# Rows changed per statement: stays under SQLite's limit of bound parameters.
BATCH_SIZE = 500
# Keys of ComplaintEvent.data that hold free text or file names.
TEXT_KEYS = ("reason", "extra")
FILE_KEY = "files"


def erased_marker() -> str:
    """The text that replaces erased free text: the same in every row, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("[erased]")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


# --- Export -------------------------------------------------------------------------


def complaints_export(contact: Contact) -> dict[str, Any]:
    """The contact's complaints with their public messages and evidence names, and replies written elsewhere."""
    user_id = contact.user_id
    public_messages = (
        ComplaintEvent.objects.filter(is_public=True)
        .filter(Q(kind__in=[ComplaintEvent.Kind.REPLY, ComplaintEvent.Kind.CUSTOMER_REPLY]) | ~Q(body=""))
        .order_by("id")
    )
    complaints = (
        Complaint.objects.filter(contact=contact)
        .select_related("service", "region")
        .prefetch_related(
            models.Prefetch("events", queryset=public_messages, to_attr="public_messages"),
            models.Prefetch("attachments", queryset=ComplaintAttachment.objects.order_by("id")),
        )
        .order_by("id")
    )
    filed = [_complaint_data(complaint, user_id=user_id) for complaint in complaints]
    elsewhere = []
    if user_id is not None:
        replies = (
            ComplaintEvent.objects.filter(kind=ComplaintEvent.Kind.CUSTOMER_REPLY, actor_id=user_id)
            .exclude(complaint__contact=contact)
            .select_related("complaint")
            .order_by("id")
        )
        elsewhere = [
            {"complaint": event.complaint.reference, "at": _iso(event.created_at), "text": event.body}
            for event in replies
        ]
    return {"complaints": filed, "replies_on_other_complaints": elsewhere}


def _complaint_data(complaint: Complaint, *, user_id: int | None) -> dict[str, Any]:
    return {
        "reference": complaint.reference,
        "filed_at": _iso(complaint.created_at),
        "since": _iso(complaint.since),
        "closed_at": _iso(complaint.closed_at),
        "status": complaint.status,
        "service": complaint.service.name,
        "region": complaint.region.code,
        "site": complaint.site_label,
        "category": complaint.category,
        "description": complaint.description,
        "loss_amount": str(complaint.loss_amount) if complaint.loss_amount is not None else None,
        "loss_currency": complaint.loss_currency,
        "messages": [
            {
                "at": _iso(event.created_at),
                "from": _author(event, user_id=user_id),
                "text": event.display_body(),
            }
            for event in complaint.public_messages
        ],
        "evidence": [attachment.original_name for attachment in complaint.attachments.all()],
    }


def _author(event: ComplaintEvent, *, user_id: int | None) -> str:
    if event.kind == ComplaintEvent.Kind.CUSTOMER_REPLY:
        return "you" if user_id is not None and event.actor_id == user_id else "your business"
    return "operator"


# --- Erasure --------------------------------------------------------------------------


def _needles(contact: Contact) -> list[str]:
    """The contact's e-mail address and phone number in the spellings a text may hold them."""
    needles = {contact.email.strip()} if contact.email else set()
    phone = contact.phone
    if phone:
        e164 = str(phone)
        needles |= {e164, e164.lstrip("+")}
        national = getattr(phone, "as_national", "") or ""
        if national:
            needles |= {national, re.sub(r"\D", "", national)}
    # Too short a fragment would erase unrelated digits.
    return sorted((needle for needle in needles if len(needle) >= 6), key=len, reverse=True)


def _scrubber(needles: list[str], marker: str):
    if not needles:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)

    def scrub(value):
        if isinstance(value, str):
            return pattern.sub(marker, value)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    return scrub


def _quoting(queryset, fields: Iterable[str], needles: list[str]):
    """Rows where one of the columns (cast to text, so JSON too) holds one of the needles."""
    aliases, q = {}, Q()
    for field in fields:
        aliases[f"_text_{field}"] = Cast(field, models.TextField())
        for needle in needles:
            q |= Q(**{f"_text_{field}__icontains": needle})
    return queryset.alias(**aliases).filter(q)


def _delete_files_on_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]
    if not names:
        return
    storage = ComplaintAttachment.file.field.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])


def _rewrite_event(event: ComplaintEvent, *, body: str, data: dict) -> bool:
    if body == event.body and data == event.data:
        return False
    ComplaintEvent._base_manager.filter(pk=event.pk).update(body=body, data=data)
    return True


def _erase_attachments(attachments, marker: str) -> set[int]:
    """Delete the files (after commit) and mark the rows; returns the complaints touched."""
    rows = list(attachments.exclude(original_name=marker).values_list("pk", "complaint_id", "file"))
    _delete_files_on_commit(name for _pk, _complaint, name in rows)
    ComplaintAttachment.objects.filter(pk__in=[pk for pk, _complaint, _name in rows]).update(original_name=marker)
    return {complaint_id for _pk, complaint_id, _name in rows}


def complaints_erase(contact: Contact) -> None:
    """Replace what the contact wrote and sent, and every copy of their address or number, by the marker."""
    marker = erased_marker()
    needles = _needles(contact)
    scrub = _scrubber(needles, marker)
    user_id = contact.user_id
    filed_ids = set(Complaint.objects.filter(contact=contact).values_list("pk", flat=True))
    Complaint.objects.filter(pk__in=filed_ids).update(description=marker)

    # Evidence: everything on the complaints they filed, and what they uploaded to others.
    uploaded = Q(complaint_id__in=filed_ids)
    if user_id is not None:
        uploaded |= Q(uploaded_by_id=user_id)
    _erase_attachments(ComplaintAttachment.objects.filter(uploaded), marker)

    # Other complaints of the business may quote the address or the number.
    if needles and contact.business_id is not None:
        quoting = _quoting(Complaint.objects.filter(business_id=contact.business_id), ["description"], needles)
        for pk, description in quoting.values_list("pk", "description"):
            Complaint.objects.filter(pk=pk).update(description=scrub(description))

    # History: their own replies, and any text or file name that could identify them.
    events = Q(complaint_id__in=filed_ids)
    if user_id is not None:
        events |= Q(actor_id=user_id)
    if needles and contact.business_id is not None:
        business_events = ComplaintEvent._base_manager.filter(complaint__business_id=contact.business_id)
        events |= Q(pk__in=list(_quoting(business_events, ["body", "data"], needles).values_list("pk", flat=True)))
    for event in ComplaintEvent._base_manager.filter(events).order_by("pk"):
        body, data = scrub(event.body), scrub(event.data or {})
        if event.kind == ComplaintEvent.Kind.CUSTOMER_REPLY and user_id is not None and event.actor_id == user_id:
            body = marker if body else ""
            data = {key: value for key, value in data.items() if key not in TEXT_KEYS}
        if FILE_KEY in data and (event.complaint_id in filed_ids or event.actor_id == user_id):
            data[FILE_KEY] = [marker for _name in data[FILE_KEY]]
        _rewrite_event(event, body=body, data=data)


# --- Retention ----------------------------------------------------------------------


def complaints_retain(now: datetime) -> int:
    """Closed complaints past COMPLAINTS_RETENTION_DAYS lose their free text and evidence; returns complaints touched.

    Counts, statuses, times and losses stay for the reports. Only complaints that still hold something
    to erase are read, so the daily run stays cheap as old complaints pile up.
    """
    marker = erased_marker()
    cutoff = now - timedelta(days=settings.COMPLAINTS_RETENTION_DAYS)
    events = ComplaintEvent._base_manager.filter(complaint=models.OuterRef("pk"))
    attachments = ComplaintAttachment.objects.filter(complaint=models.OuterRef("pk"))
    pending = (
        ~Q(description=marker)
        | models.Exists(events.exclude(body__in=["", marker]))
        | models.Exists(events.filter(data__has_any_keys=list(TEXT_KEYS)))
        | models.Exists(attachments.exclude(original_name=marker))
    )
    due = Complaint.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=cutoff).filter(pending).order_by("pk")
    ids = list(due.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        with transaction.atomic():
            _retain_batch(ids[start : start + BATCH_SIZE], marker=marker)
    return len(ids)


def _retain_batch(ids: list[int], *, marker: str) -> None:
    Complaint.objects.filter(pk__in=ids).exclude(description=marker).update(description=marker)
    _erase_attachments(ComplaintAttachment.objects.filter(complaint_id__in=ids), marker)
    events = ComplaintEvent._base_manager.filter(complaint_id__in=ids)
    events.exclude(body__in=["", marker]).update(body=marker)
    for event in events.filter(data__has_any_keys=[*TEXT_KEYS, FILE_KEY]):
        data = {key: value for key, value in event.data.items() if key not in TEXT_KEYS}
        if FILE_KEY in data:
            data[FILE_KEY] = [marker for _name in data[FILE_KEY]]
        _rewrite_event(event, body=event.body, data=data)


def register_privacy() -> None:
    from tracker.security.privacy import register

    register(name="complaints", export=complaints_export, erase=complaints_erase, retain=complaints_retain)
