"""Spike detection from customer complaints, Downdetector's way.

Every run counts, per service and region, the distinct businesses that filed a
complaint in the last window and in the window before, and compares each count
with a baseline: the mean count for the same window of the week over past
weeks. Two consecutive windows at or above max(ratio x baseline, minimum), and
no incident (suspected included) covering the service and region, make a spike:
a suspected incident linked to those complaints, an e-mail to staff and a
banner in the admin. The suspected incident then covers the pair, so a spike
alerts once, not once per window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext

from tracker.customers.models import Region, Service
from tracker.incidents.models import Incident

from .models import Complaint, ComplaintEvent, ComplaintSpike
from .selectors import incident_covering_exists


def _window() -> timedelta:
    return timedelta(minutes=settings.COMPLAINTS_SPIKE_WINDOW_MINUTES)


def baseline(*, service_id: int, region_id: int, now: datetime) -> float:
    """Mean distinct businesses per window at this time of the week over the past weeks."""
    weeks = max(settings.COMPLAINTS_SPIKE_BASELINE_WEEKS, 1)
    window = _window()
    counts = {}
    for k in range(1, weeks + 1):
        end = now - timedelta(days=7 * k)
        counts[f"w{k}"] = Count(
            "business_id", distinct=True, filter=Q(created_at__gte=end - window, created_at__lt=end)
        )
    row = Complaint.objects.filter(
        service_id=service_id,
        region_id=region_id,
        created_at__gte=now - timedelta(days=7 * weeks) - window,
        created_at__lt=now - timedelta(days=7) + window,
    ).aggregate(**counts)
    return sum(v or 0 for v in row.values()) / weeks


def spike_candidates(*, now: datetime) -> list[dict]:
    """Service and region pairs above the threshold in the last two windows (incident coverage not checked)."""
    window = _window()
    current_start, previous_start = now - window, now - 2 * window
    minimum = settings.COMPLAINTS_SPIKE_MIN_BUSINESSES
    rows = (
        Complaint.objects.filter(created_at__gte=previous_start, created_at__lt=now)
        .values("service_id", "region_id")
        .annotate(
            current=Count("business_id", distinct=True, filter=Q(created_at__gte=current_start)),
            previous=Count("business_id", distinct=True, filter=Q(created_at__lt=current_start)),
        )
        .filter(current__gte=minimum, previous__gte=minimum)
        .order_by("service_id", "region_id")
    )
    found = []
    for row in rows:
        base = baseline(service_id=row["service_id"], region_id=row["region_id"], now=now)
        threshold = max(minimum, settings.COMPLAINTS_SPIKE_RATIO * base)
        if row["current"] >= threshold and row["previous"] >= threshold:
            found.append({**row, "baseline": base})
    return found


def spikes_detect(*, now: datetime | None = None) -> list[ComplaintSpike]:
    """One pass of detection; returns the spikes it created."""
    now = now or timezone.now()
    created = []
    for row in spike_candidates(now=now):
        spike = spike_record(
            service_id=row["service_id"],
            region_id=row["region_id"],
            now=now,
            current=row["current"],
            previous=row["previous"],
            base=row["baseline"],
        )
        if spike is not None:
            created.append(spike)
    return created


@transaction.atomic
def spike_record(
    *, service_id: int, region_id: int, now: datetime, current: int, previous: int, base: float
) -> ComplaintSpike | None:
    """Create the suspected incident, link the complaints, and schedule the staff alert; once per spike."""
    # Serialise detectors on the same pair: lock the service row.
    service = Service.objects.select_for_update().get(pk=service_id)
    region = Region.objects.get(pk=region_id)
    if incident_covering_exists(service_id=service_id, region_id=region_id):
        return None
    cooldown = now - timedelta(minutes=settings.COMPLAINTS_SPIKE_COOLDOWN_MINUTES)
    if ComplaintSpike.objects.filter(service_id=service_id, region_id=region_id, detected_at__gte=cooldown).exists():
        return None
    window = _window()
    complaints = Complaint.objects.filter(
        service_id=service_id,
        region_id=region_id,
        created_at__gte=now - 2 * window,
        created_at__lt=now,
        incident__isnull=True,
    )
    first_since = complaints.aggregate(first=Min("since"))["first"] or (now - 2 * window)
    incident = Incident.objects.create(
        title=gettext("Suspected outage: %(service)s in %(region)s") % {"service": service.name, "region": region.name},
        status=Incident.Status.SUSPECTED,
        severity=Incident.Severity.MAJOR,
        started_at=min(first_since, now),
        detected_at=now,
    )
    incident.services.set([service])
    incident.regions.set([region])
    ids = list(complaints.values_list("pk", flat=True))
    complaints_link_many(complaint_ids=ids, incident=incident, actor=None, reason="spike")
    spike = ComplaintSpike.objects.create(
        service=service,
        region=region,
        window_start=now - 2 * window,
        window_end=now,
        businesses=current,
        previous_businesses=previous,
        baseline=base,
        incident=incident,
    )
    from .tasks import send_spike_alert

    send_spike_alert.delay_on_commit(spike.pk)
    return spike


@transaction.atomic
def complaints_link_many(*, complaint_ids: list[int], incident: Incident, actor, reason: str = "") -> int:
    """Link many complaints to an incident in two statements, each with its history row."""
    ids = sorted(
        Complaint.objects.select_for_update()
        .filter(pk__in=complaint_ids)
        .exclude(incident=incident)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    previous = dict(Complaint.objects.filter(pk__in=ids).values_list("pk", "incident_id"))
    Complaint.objects.filter(pk__in=ids).update(incident=incident, updated_at=timezone.now())
    is_public = incident.declared_at is not None
    ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint_id=pk,
                kind=ComplaintEvent.Kind.LINKED,
                actor=actor,
                is_public=is_public,
                data={"from": previous[pk], "to": incident.pk, "title": incident.title, "reason": reason},
            )
            for pk in ids
        ],
        batch_size=500,
    )
    return len(ids)


@transaction.atomic
def spike_acknowledge(*, spike_id: int, actor) -> None:
    ComplaintSpike.objects.filter(pk=spike_id, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=actor
    )
