"""Writes of the notification engine."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tracker.customers.models import Contact
from tracker.security import user_cache

from .kinds import get_kind
from .models import Delivery, NotificationJob, WebhookEndpoint


@transaction.atomic(savepoint=False)  # joins the caller's transaction: no savepoint round trips on hot paths
def notification_job_create(
    *, kind: str, params: dict, dedupe_key: str | None = None, created_by=None
) -> NotificationJob:
    """Record a job inside the caller's transaction; expansion starts after commit.

    Nothing talks to the broker before the caller's transaction commits: if it
    rolls back, the job and its task vanish together. With a dedupe_key, a
    second call for the same event returns the first job.
    """
    get_kind(kind)  # fail early on a kind nobody registered
    fields = {"kind": kind, "params": params, "dedupe_key": dedupe_key, "created_by": created_by}
    if not dedupe_key:
        job = NotificationJob.objects.create(**fields)
    else:
        existing = NotificationJob.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
        try:
            with transaction.atomic():  # a concurrent twin may win the unique key
                job = NotificationJob.objects.create(**fields)
        except IntegrityError:
            return NotificationJob.objects.get(dedupe_key=dedupe_key)

    from .tasks import expand_job

    expand_job.delay_on_commit(job.pk)
    return job


@transaction.atomic
def deliveries_retry(*, delivery_ids: list[int] | None = None, job_ids: list[int] | None = None) -> int:
    """Give failed rows (of these deliveries or these jobs) a new round of attempts, now."""
    rows = Delivery.objects.filter(status=Delivery.Status.FAILED)
    if delivery_ids is not None:
        rows = rows.filter(pk__in=delivery_ids)
    if job_ids is not None:
        rows = rows.filter(job_id__in=job_ids)
    affected_jobs = set(rows.order_by().values_list("job_id", flat=True).distinct())
    now = timezone.now()
    count = rows.update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=now, lease_until=None)
    if not count:
        return 0
    NotificationJob.objects.filter(pk__in=affected_jobs).update(
        status=NotificationJob.Status.EXPANDED, finished_at=None
    )

    from .engine import _enqueue_ranges

    for job_id in affected_jobs:
        _enqueue_ranges(job_id, Delivery.objects.filter(job_id=job_id, status=Delivery.Status.PENDING))
    return count


@transaction.atomic
def contact_unsubscribe(*, contact: Contact) -> bool:
    """Stop every message to this contact, including those of jobs already queued."""
    if contact.unsubscribed_at is not None:
        return False
    now = timezone.now()
    Contact.objects.filter(pk=contact.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=now)
    user_cache.forget([contact.user_id])
    contact.unsubscribed_at = now
    _skip_open_rows(contact, Q(), reason="Unsubscribed")
    return True


def _skip_open_rows(contact: Contact, channels: Q, *, reason: str) -> int:
    return (
        Delivery.objects.filter(contact=contact, status=Delivery.Status.PENDING)
        .exclude(channel="webhook")  # the business's webhook, not this person's channel
        .filter(channels)
        .update(status=Delivery.Status.SKIPPED, reason=reason, lease_until=None)
    )


@transaction.atomic
def contact_preferences_update(
    *, contact: Contact, wants_email: bool, wants_sms: bool, language: str, muted_kinds: list[str], subscribed: bool
) -> Contact:
    contact.wants_email = wants_email
    contact.wants_sms = wants_sms
    contact.language = language
    contact.muted_kinds = sorted(set(muted_kinds))
    if subscribed:
        contact.unsubscribed_at = None
    elif contact.unsubscribed_at is None:
        contact.unsubscribed_at = timezone.now()
    contact.save(update_fields=["wants_email", "wants_sms", "language", "muted_kinds", "unsubscribed_at"])
    if not subscribed:
        _skip_open_rows(contact, Q(), reason="Unsubscribed")
    return contact


@transaction.atomic
def webhook_endpoint_disable(*, endpoint_id: int) -> bool:
    """Turn off an endpoint after repeated failures and tell the business (by e-mail or SMS)."""
    now = timezone.now()
    if not WebhookEndpoint.objects.filter(pk=endpoint_id, disabled_at__isnull=True).update(disabled_at=now):
        return False
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    Delivery.objects.filter(
        contact__business_id=endpoint.business_id, channel="webhook", status=Delivery.Status.PENDING
    ).update(status=Delivery.Status.SKIPPED, reason="Webhook disabled")
    notification_job_create(
        kind="notifications.webhook_disabled",
        params={"business_id": endpoint.business_id, "url": endpoint.url, "failures": endpoint.consecutive_failures},
        dedupe_key=f"webhook-disabled:{endpoint.pk}:{int(now.timestamp())}",
    )
    return True


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.save(update_fields=["disabled_at", "consecutive_failures"])
    return endpoint
