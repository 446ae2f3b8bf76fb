"""The batched counter: confirmed signatures reach PetitionTally in batches, never one by one.

Signing and confirming only write the signature row and mark it dirty. The
counter (a periodic task every few seconds) takes the dirty rows in id order,
adds their change to the tallies and clears the flag, in one transaction under
a lock so two runs never count a row twice: pg_try_advisory_xact_lock on
PostgreSQL, a cache lock elsewhere (SQLite serialises writers anyway). The
nightly reconciliation recomputes every tally from the rows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Petition, PetitionTally, PetitionThreshold, Signature

logger = logging.getLogger(__name__)
LOCK_KEY = 0x5E71_7104  # advisory lock id of the counter
CACHE_LOCK = "petitions:counter-lock"
LIVE = Q(confirmed_at__isnull=False, withdrawn_at__isnull=True, invalidated_at__isnull=True)


@contextmanager
def counter_lock() -> Iterator[bool]:
    """Inside a transaction: yields whether this run holds the counter lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            yield bool(cursor.fetchone()[0])
        return
    got = cache.add(CACHE_LOCK, 1, timeout=120)
    try:
        yield got
    finally:
        if got:
            cache.delete(CACHE_LOCK)


def _is_live(row: dict) -> bool:
    return bool(row["confirmed_at"] and not row["withdrawn_at"] and not row["invalidated_at"])


def tally_count(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Count dirty signatures into the tallies. Returns how many rows changed the tallies."""
    changed = 0
    for _ in range(max_batches):
        done, moved = _count_batch(batch_size=batch_size)
        changed += moved
        if done:
            break
    return changed


@transaction.atomic
def _count_batch(*, batch_size: int) -> tuple[bool, int]:
    with counter_lock() as locked:
        if not locked:
            return True, 0
        rows = list(
            Signature.objects.select_for_update()
            .filter(dirty=True)
            .order_by("id")
            .values("id", "petition_id", "counted", "confirmed_at", "withdrawn_at", "invalidated_at",
                    "verified_customer", "loss_amount", "loss_currency")[:batch_size]
        )  # fmt: skip
        if not rows:
            return True, 0
        deltas: dict[int, dict] = defaultdict(lambda: {"confirmed": 0, "verified": 0, "losses": defaultdict(Decimal)})
        now_counted, now_uncounted = [], []
        for row in rows:
            live = _is_live(row)
            (now_counted if live else now_uncounted).append(row["id"])
            if live == row["counted"]:
                continue
            sign = 1 if live else -1
            delta = deltas[row["petition_id"]]
            delta["confirmed"] += sign
            delta["verified"] += sign if row["verified_customer"] else 0
            delta["losses"][row["loss_currency"]] += sign * row["loss_amount"]
        _apply(deltas)
        if now_counted:
            Signature.objects.filter(pk__in=now_counted).update(counted=True, dirty=False)
        if now_uncounted:
            Signature.objects.filter(pk__in=now_uncounted).update(counted=False, dirty=False)
        if deltas:
            thresholds_check(petition_ids=sorted(deltas))
        moved = sum(abs(d["confirmed"]) for d in deltas.values())
        return len(rows) < batch_size, moved


def _apply(deltas: dict[int, dict]) -> None:
    now = timezone.now()
    for petition_id in sorted(deltas):  # row locks in primary-key order
        delta = deltas[petition_id]
        tally, _created = PetitionTally.objects.select_for_update().get_or_create(petition_id=petition_id)
        tally.confirmed = max(tally.confirmed + delta["confirmed"], 0)
        tally.verified = max(tally.verified + delta["verified"], 0)
        losses = {k: Decimal(v) for k, v in tally.losses.items()}
        for currency, amount in delta["losses"].items():
            losses[currency] = losses.get(currency, Decimal(0)) + amount
        tally.losses = {k: str(v.quantize(Decimal("0.01"))) for k, v in sorted(losses.items()) if v}
        tally.counted_at = now
        tally.save()


def thresholds_check(*, petition_ids: list[int]) -> list[int]:
    """Mark thresholds reached or no longer reached; notify a first crossing once. Returns notified ids."""
    now = timezone.now()
    notified = []
    tallies = dict(PetitionTally.objects.filter(petition_id__in=petition_ids).values_list("petition_id", "confirmed"))
    thresholds = PetitionThreshold.objects.select_for_update().filter(petition_id__in=petition_ids).order_by("pk")
    from .tasks import notify_threshold

    for threshold in thresholds:
        count = tallies.get(threshold.petition_id, 0)
        if count >= threshold.count and threshold.reached_at is None:
            threshold.reached_at = now
            if threshold.notified_at is None:
                threshold.notified_at = now
                notified.append(threshold.pk)
                notify_threshold.delay_on_commit(threshold.pk)
            threshold.save(update_fields=["reached_at", "notified_at"])
        elif count < threshold.count and threshold.reached_at is not None:
            threshold.reached_at = None
            threshold.save(update_fields=["reached_at"])
    return notified


@transaction.atomic
def tally_reconcile() -> dict[int, int]:
    """Recompute every tally from the rows; returns {petition id: drift} where the tally was wrong."""
    drift: dict[int, int] = {}
    with counter_lock() as locked:
        if not locked:
            return drift
        petition_ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True))
        totals = {
            row["petition_id"]: row
            for row in Signature.objects.filter(LIVE)
            .values("petition_id")
            .annotate(n=Count("id"), verified=Count("id", filter=Q(verified_customer=True)))
        }
        losses: dict[int, dict[str, str]] = defaultdict(dict)
        for row in (
            Signature.objects.filter(LIVE).values("petition_id", "loss_currency").annotate(total=Sum("loss_amount"))
        ):
            if row["total"]:
                losses[row["petition_id"]][row["loss_currency"]] = str(row["total"].quantize(Decimal("0.01")))
        now = timezone.now()
        for petition_id in petition_ids:
            total = totals.get(petition_id, {"n": 0, "verified": 0})
            tally, _created = PetitionTally.objects.select_for_update().get_or_create(petition_id=petition_id)
            if tally.confirmed != total["n"]:
                drift[petition_id] = total["n"] - tally.confirmed
            tally.confirmed, tally.verified = total["n"], total["verified"]
            tally.losses = dict(sorted(losses[petition_id].items()))
            tally.counted_at = now
            tally.save()
        Signature.objects.filter(LIVE).exclude(counted=True, dirty=False).update(counted=True, dirty=False)
        Signature.objects.exclude(LIVE).exclude(counted=False, dirty=False).update(counted=False, dirty=False)
        thresholds_check(petition_ids=petition_ids)
    if drift:
        logger.warning("Petition tallies corrected by reconciliation: %s", drift)
    return drift
