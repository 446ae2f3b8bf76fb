"""The notification engine: expand a job into deliveries and send them in batches.

What a dead worker or a lost message leaves behind is taken back by the sweeper (sweeper.py).

Life of a delivery row::

    pending --claim (lease)--> sending --provider accepted--> sent
       ^                          |--temporary error--> pending (next_attempt_at = backoff + jitter)
       |                          |--permanent error or last attempt--> failed  (admin: retry)
       +---- sweeper (sweeper.py): lease expired (worker killed); the row is flagged maybe_sent
    skipped: never sent (unsubscribed, muted at send time, channel down, webhook disabled)

Every step is idempotent: expansion ignores conflicts on (job, contact, channel), a claim
takes only pending rows, so a duplicated or replayed task does nothing twice. Nothing here
runs inside a caller's transaction.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from tracker.customers.models import Channel

from . import rendering
from .channels import ChannelError, PermanentFailure
from .channels import email as email_channel
from .channels import sms as sms_channel
from .channels import webhook as webhook_channel
from .kinds import MessageKind, get_kind
from .models import Delivery, NotificationJob, WebhookEndpoint
from .tokens import LinkMaker

logger = logging.getLogger(__name__)

INSERT_CHUNK = 2000
# When a wanted channel is down, try these in order (SMS first).
FALLBACK_ORDER = [Channel.SMS, Channel.EMAIL]


# --- Expansion ---------------------------------------------------------------------------------


def _broken_channels(kind: MessageKind, job: NotificationJob) -> dict[int, dict[str, str]]:
    """business id -> {channel: name of the service that is down and carries it}."""
    subscriptions = kind.broken_subscriptions(job)
    if subscriptions is None:
        return {}
    broken: dict[int, dict[str, str]] = {}
    rows = (
        subscriptions.exclude(service__carries_channel="")
        .order_by()
        .values_list("business_id", "service__carries_channel", "service__name")
        .distinct()
    )
    for business_id, channel, service_name in rows:
        broken.setdefault(business_id, {})[channel] = service_name
    return broken


def _plan_contact(
    *, email: str, phone: str, wants_email: bool, wants_sms: bool, broken: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(channel, status, reason) rows for one contact."""
    addresses = {Channel.EMAIL: bool(email), Channel.SMS: bool(phone)}
    wanted = [c for c, wants in ((Channel.EMAIL, wants_email), (Channel.SMS, wants_sms)) if wants and addresses[c]]
    rows: list[tuple[str, str, str]] = []
    chosen: set[str] = set()
    for channel in wanted:
        if channel in broken:
            reason = gettext("%(channel)s unavailable: %(service)s outage") % {
                "channel": Channel(channel).label,
                "service": broken[channel],
            }
            rows.append((channel, Delivery.Status.SKIPPED, reason[:200]))
            continue
        rows.append((channel, Delivery.Status.PENDING, ""))
        chosen.add(channel)
    for channel, status, _reason in list(rows):
        if status != Delivery.Status.SKIPPED:
            continue
        for fallback in FALLBACK_ORDER:
            if fallback in chosen or fallback in broken or not addresses[fallback]:
                continue
            reason = gettext("Fallback for %(channel)s") % {"channel": Channel(channel).label}
            rows = [r for r in rows if r[0] != fallback]
            rows.append((fallback, Delivery.Status.PENDING, reason[:200]))
            chosen.add(fallback)
            break
    return rows


def job_expand(*, job_id: int) -> int:
    """Create the job's delivery rows from its kind's audience, then enqueue the send batches.

    Idempotent: run twice, it creates nothing new (conflicts ignored) and the extra batches
    find nothing to claim. Returns the number of rows written (or ignored as duplicates).
    """
    job = NotificationJob.objects.filter(pk=job_id).first()
    if job is None:
        return 0
    try:
        kind = get_kind(job.kind)
    except KeyError:
        logger.error("Notification job %s has an unknown kind %r; not expanded.", job.pk, job.kind)
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        broken = _broken_channels(kind, job)
    audience = kind.audience(job).filter(unsubscribed_at__isnull=True)
    webhook_businesses = set(
        WebhookEndpoint.objects.filter(
            disabled_at__isnull=True, business_id__in=audience.order_by().values("business_id")
        ).values_list("business_id", flat=True)
    )
    rows = audience.order_by("id").values_list(
        "id", "business_id", "email", "phone", "wants_email", "wants_sms", "muted_kinds", "is_business_admin"
    )
    enqueuer = _BatchEnqueuer(job.pk)
    now = timezone.now()
    seen: set[int] = set()
    webhook_contact: dict[int, tuple[bool, int]] = {}  # business -> (not admin, contact id): the admin first
    buffer: list[tuple[int, str, str, str]] = []
    written = 0
    for contact_id, business_id, email, phone, wants_email, wants_sms, muted, is_admin in _pages(rows):
        if contact_id in seen:
            continue
        seen.add(contact_id)
        if business_id in webhook_businesses:
            # The business's webhook is not a person's channel: a contact's muting does not stop it.
            candidate = (not is_admin, contact_id)
            if business_id not in webhook_contact or candidate < webhook_contact[business_id]:
                webhook_contact[business_id] = candidate
        if kind.category and isinstance(muted, list) and kind.category in muted:
            continue
        plan = _plan_contact(
            email=email,
            phone=str(phone or ""),
            wants_email=wants_email,
            wants_sms=wants_sms,
            broken=broken.get(business_id, {}),
        )
        buffer.extend((contact_id, channel, status, reason) for channel, status, reason in plan)
        if len(buffer) >= INSERT_CHUNK:
            written += _insert_deliveries(job.pk, buffer, now=now)
            buffer = []
            # Sending starts while the rest of the audience is still being expanded.
            enqueuer.enqueue_full_batches()
    reason = gettext("Webhook of the business")
    buffer.extend(
        (contact_id, Channel.WEBHOOK, Delivery.Status.PENDING, reason)
        for _not_admin, contact_id in webhook_contact.values()
    )
    for start in range(0, len(buffer), INSERT_CHUNK):
        written += _insert_deliveries(job.pk, buffer[start : start + INSERT_CHUNK], now=now)

    with transaction.atomic():
        NotificationJob.objects.filter(pk=job.pk, status=NotificationJob.Status.PENDING).update(
            status=NotificationJob.Status.EXPANDED, expanded_at=timezone.now()
        )
        enqueuer.enqueue_rest()
    job_finish_if_done(job_id=job.pk)
    return written


def _pages(rows):
    """The audience page by page (keyset on id), so no read cursor stays open while we write.

    On SQLite a connection that holds a read snapshot cannot then write once another process
    has written ("database is locked"); on PostgreSQL it avoids a long-lived server-side cursor.
    """
    last = 0
    while True:
        page = list(rows.filter(id__gt=last)[:INSERT_CHUNK])
        if not page:
            return
        yield from page
        last = max(row[0] for row in page)


def _insert_deliveries(job_id: int, rows: list[tuple[int, str, str, str]], *, now) -> int:
    """INSERT (contact, channel, status, reason) rows, ignoring those already there; returns rows inserted.

    One multi-row INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite): bulk_create() spent
    more time building model instances than the database spent writing them.
    """
    if not rows:
        return 0
    table = connection.ops.quote_name(Delivery._meta.db_table)
    placeholders = ", ".join(["(%s, %s, %s, %s, 0, '', %s, '', %s, FALSE)"] * len(rows))
    params: list = []
    for contact_id, channel, status, reason in rows:
        params.extend([job_id, contact_id, str(channel), str(status), reason, now])
    sql = (
        f"INSERT INTO {table} (job_id, contact_id, channel, status, attempts, last_error, reason, "  # noqa: S608
        f"provider_message_id, created_at, maybe_sent) VALUES {placeholders} "
        "ON CONFLICT (job_id, contact_id, channel) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


class _BatchEnqueuer:
    """Enqueues send_batch tasks for a job's new pending rows, in id order, NOTIFY_BATCH_SIZE at a time."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.after = 0

    def _new_ids(self) -> list[int]:
        return list(
            Delivery.objects.filter(job_id=self.job_id, status=Delivery.Status.PENDING, id__gt=self.after)
            .order_by("id")
            .values_list("id", flat=True)
        )

    def enqueue_full_batches(self) -> None:
        ids = self._new_ids()
        size = settings.NOTIFY_BATCH_SIZE
        self._enqueue(ids[: len(ids) - len(ids) % size])

    def enqueue_rest(self) -> None:
        self._enqueue(self._new_ids())

    def _enqueue(self, ids: list[int]) -> None:
        from .tasks import send_batch

        if not ids:
            return
        _mark_enqueued(Delivery.objects.filter(job_id=self.job_id, id__gte=ids[0], id__lte=ids[-1]))
        size = settings.NOTIFY_BATCH_SIZE
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            send_batch.delay_on_commit(self.job_id, chunk[0], chunk[-1])
        self.after = ids[-1]


def _mark_enqueued(rows) -> int:
    """Stamp the pending rows a send_batch task is about to cover, so the sweeper leaves them to it."""
    return rows.filter(status=Delivery.Status.PENDING).update(enqueued_at=timezone.now())


def _id_ranges(ids: Iterable[int], size: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    first = last = None
    count = 0
    for delivery_id in ids:
        if first is None:
            first = delivery_id
        last = delivery_id
        count += 1
        if count == size:
            ranges.append((first, last))
            first, count = None, 0
    if first is not None and last is not None:
        ranges.append((first, last))
    return ranges


def _enqueue_ranges(job_id: int, queryset) -> int:
    """One send_batch task per NOTIFY_BATCH_SIZE rows of the queryset, after the surrounding commit."""
    from .tasks import send_batch

    ids = queryset.order_by("id").values_list("id", flat=True).iterator(chunk_size=INSERT_CHUNK)
    ranges = _id_ranges(ids, settings.NOTIFY_BATCH_SIZE)
    for first_id, last_id in ranges:
        _mark_enqueued(queryset.filter(job_id=job_id, id__gte=first_id, id__lte=last_id))
        send_batch.delay_on_commit(job_id, first_id, last_id)
    return len(ranges)


# --- Sending -----------------------------------------------------------------------------------


def _claim(*, job_id: int, first_id: int, last_id: int) -> list[int]:
    """Take the due pending rows of a range: status sending, a lease, one more attempt."""
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(
            job_id=job_id,
            id__gte=first_id,
            id__lte=last_id,
            status=Delivery.Status.PENDING,
        ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: concurrent workers skip each other's rows instead of waiting.
            due = due.select_for_update(skip_locked=True)
        # On SQLite the transaction is IMMEDIATE: it holds the write lock from its first statement.
        ids = list(due.order_by("id").values_list("id", flat=True))
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                status=Delivery.Status.SENDING,
                lease_until=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
    return ids


def _throttle(channel: str) -> None:
    """Per-channel messages per second across every worker sharing the cache (NOTIFY_RATE_LIMITS)."""
    limit = settings.NOTIFY_RATE_LIMITS.get(channel) or 0
    if limit <= 0:
        return
    while True:
        second = int(time.time())
        key = f"notify-rate:{channel}:{second}"
        cache.add(key, 0, timeout=5)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            used = 1
        if used <= limit:
            return
        time.sleep(max(0.0, second + 1 - time.time()) + 0.005)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped at an hour, between 50% and 100%."""
    ceiling = min(3600, settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


class _Batch:
    """The state of one send_batch call: connections and renderings shared by its rows."""

    def __init__(self, job: NotificationJob, kind: MessageKind) -> None:
        self.job = job
        self.kind = kind
        self.links = LinkMaker()
        self.renderings: dict[str, rendering.Rendering] = {}
        self._email_connection = None
        self._sms_backend = None
        self.sent: list[Delivery] = []

    def rendering(self, language: str) -> rendering.Rendering:
        if language not in self.renderings:
            self.renderings[language] = rendering.render(self.kind, self.job, language=language)
        return self.renderings[language]

    @property
    def email_connection(self):
        if self._email_connection is None:
            self._email_connection = email_channel.open_connection()
        return self._email_connection

    @property
    def sms_backend(self):
        if self._sms_backend is None:
            self._sms_backend = sms_channel.get_backend()
        return self._sms_backend

    def close(self) -> None:
        if self._email_connection is not None:
            try:
                self._email_connection.close()
            except Exception:  # a failed QUIT must not lose the marks already made
                logger.warning("Closing the e-mail connection failed.", exc_info=True)


def _send_one(batch: _Batch, delivery: Delivery, endpoint: WebhookEndpoint | None) -> str:
    contact = delivery.contact
    language = rendering.contact_language(contact)
    out = batch.rendering(language)
    if delivery.channel == Channel.EMAIL:
        return email_channel.send(
            batch.email_connection,
            delivery_id=delivery.pk,
            to=contact.email,
            subject=out.message.subject,
            text=out.email_text(batch.links, contact.pk),
            html=out.email_html(batch.links, contact.pk),
            unsubscribe_url=batch.links.unsubscribe(contact.pk),
            language=language,
        )
    if delivery.channel == Channel.SMS:
        return batch.sms_backend.send(
            to=str(contact.phone), body=out.sms_text(batch.links, contact.pk), idempotency_key=str(delivery.pk)
        )
    if delivery.channel == Channel.WEBHOOK:
        if endpoint is None:
            raise PermanentFailure("The business has no webhook endpoint.")
        return webhook_channel.send(
            url=endpoint.url,
            secret=endpoint.secret,
            delivery_id=delivery.pk,
            event_type=batch.job.kind,
            payload=out.message.payload,
        )
    raise PermanentFailure(f"The engine does not send on channel {delivery.channel!r}.")


def _skip_reason(batch: _Batch, delivery: Delivery, endpoint: WebhookEndpoint | None) -> str:
    contact = delivery.contact
    if delivery.channel == Channel.WEBHOOK:
        return gettext("Webhook disabled") if endpoint is None or endpoint.disabled_at is not None else ""
    if contact.unsubscribed_at is not None:
        return gettext("Unsubscribed")
    if batch.kind.category and isinstance(contact.muted_kinds, list) and batch.kind.category in contact.muted_kinds:
        return gettext("Category muted by the contact")
    if delivery.channel == Channel.EMAIL and not contact.wants_email and not delivery.reason:
        return gettext("E-mail turned off by the contact")
    if delivery.channel == Channel.SMS and not contact.wants_sms and not delivery.reason:
        return gettext("SMS turned off by the contact")
    return ""


def _mark_sent(rows: list[tuple[int, str]]) -> None:
    """Record (delivery id, provider message id) pairs as sent in one UPDATE ... FROM (VALUES ...).

    bulk_update() builds a CASE expression per row in Python, which cost more than sending.
    """
    if not rows:
        return
    table = connection.ops.quote_name(Delivery._meta.db_table)
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s)"] * len(rows))
        source, id_col, pid_col = f"(VALUES {values}) AS v(id, pid)", "v.id", "v.pid"
    else:  # SQLite 3.33+ names the columns column1, column2
        values = ", ".join(["(%s, %s)"] * len(rows))
        source, id_col, pid_col = f"(VALUES {values}) AS v", "v.column1", "v.column2"
    params: list = [Delivery.Status.SENT, timezone.now()]
    for delivery_id, provider_id in rows:
        params.extend([delivery_id, provider_id[:200]])
    sql = (
        f"UPDATE {table} SET status = %s, sent_at = %s, lease_until = NULL, provider_message_id = {pid_col} "  # noqa: S608
        f"FROM {source} WHERE {table}.id = {id_col}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _flush_sent(batch: _Batch) -> None:
    if batch.sent:
        _mark_sent([(d.pk, d.provider_message_id) for d in batch.sent])
        batch.sent = []


def _record_failure(delivery: Delivery, error: str, *, permanent: bool) -> None:
    final = permanent or delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
        next_attempt_at=None if final else timezone.now() + retry_delay(delivery.attempts),
        lease_until=None,
        last_error=error[:500],
    )


def _webhook_result(endpoint: WebhookEndpoint, *, ok: bool) -> None:
    if ok:
        if endpoint.consecutive_failures:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
            endpoint.consecutive_failures = 0
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    endpoint.refresh_from_db(fields=["consecutive_failures", "disabled_at"])
    if endpoint.disabled_at is None and endpoint.consecutive_failures >= settings.NOTIFY_WEBHOOK_DISABLE_AFTER:
        from .services import webhook_endpoint_disable

        webhook_endpoint_disable(endpoint_id=endpoint.pk)
        endpoint.disabled_at = timezone.now()


def deliveries_send_batch(*, job_id: int, first_id: int, last_id: int) -> int:
    """Claim the due pending rows of an id range and send them; returns how many were sent."""
    ids = _claim(job_id=job_id, first_id=first_id, last_id=last_id)
    if not ids:
        job_finish_if_done(job_id=job_id)
        return 0
    job = NotificationJob.objects.filter(pk=job_id).first()
    if job is None:  # deleted meanwhile: its rows went with it
        return 0
    try:
        kind = get_kind(job.kind)
    except KeyError:
        for delivery in Delivery.objects.filter(id__in=ids):
            _record_failure(delivery, f"Unknown message kind {job.kind!r} in this worker.", permanent=False)
        return 0
    deliveries = list(Delivery.objects.filter(id__in=ids).select_related("contact__business").order_by("id"))
    business_ids = {d.contact.business_id for d in deliveries if d.channel == Channel.WEBHOOK}
    endpoints = (
        {e.business_id: e for e in WebhookEndpoint.objects.filter(business_id__in=business_ids)} if business_ids else {}
    )
    batch = _Batch(job, kind)
    lease = settings.NOTIFY_LEASE_SECONDS
    renewed_at = time.monotonic()
    mark_every = max(1, settings.NOTIFY_MARK_EVERY)
    sent_count = 0
    try:
        for index, delivery in enumerate(deliveries):
            if time.monotonic() - renewed_at > lease / 3:
                # Rate limits may make a batch slow: keep the rows not sent yet ours.
                _flush_sent(batch)
                Delivery.objects.filter(
                    id__in=[d.pk for d in deliveries[index:]], status=Delivery.Status.SENDING
                ).update(lease_until=timezone.now() + timedelta(seconds=lease))
                renewed_at = time.monotonic()
            endpoint = endpoints.get(delivery.contact.business_id)
            skip = _skip_reason(batch, delivery, endpoint)
            if skip:
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=Delivery.Status.SKIPPED, reason=skip[:200], lease_until=None
                )
                continue
            try:
                _throttle(delivery.channel)
                provider_id = _send_one(batch, delivery, endpoint)
            except ChannelError as exc:
                _record_failure(
                    delivery, str(exc) or exc.__class__.__name__, permanent=isinstance(exc, PermanentFailure)
                )
                if delivery.channel == Channel.WEBHOOK and endpoint is not None:
                    _webhook_result(endpoint, ok=False)
                continue
            except Exception as exc:  # any provider error is a failed attempt, never a crash of the batch
                logger.warning("Delivery %s failed: %s", delivery.pk, exc, exc_info=True)
                _record_failure(delivery, f"{exc.__class__.__name__}: {exc}", permanent=False)
                if delivery.channel == Channel.WEBHOOK and endpoint is not None:
                    _webhook_result(endpoint, ok=False)
                continue
            if delivery.channel == Channel.WEBHOOK and endpoint is not None:
                _webhook_result(endpoint, ok=True)
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.provider_message_id = provider_id or ""
            delivery.lease_until = None
            batch.sent.append(delivery)
            sent_count += 1
            if len(batch.sent) >= mark_every:
                _flush_sent(batch)
    finally:
        _flush_sent(batch)
        batch.close()
    job_finish_if_done(job_id=job_id)
    return sent_count


def job_finish_if_done(*, job_id: int) -> bool:
    """Mark the job done, with the time of its last delivery, once nothing is pending or sending."""
    open_rows = Delivery.objects.filter(
        job_id=job_id, status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING]
    ).exists()
    if open_rows:
        return False
    last_sent = Delivery.objects.filter(job_id=job_id).aggregate(last=Max("sent_at"))["last"]
    return bool(
        NotificationJob.objects.filter(pk=job_id, status=NotificationJob.Status.EXPANDED).update(
            status=NotificationJob.Status.DONE, finished_at=last_sent or timezone.now()
        )
    )
