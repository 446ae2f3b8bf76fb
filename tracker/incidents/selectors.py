"""Reads of incidents: the public pages, the audience, the voice line, uptime.

Every selector states what it loads with it; none runs a query per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from tracker.customers.models import Contact, Region, Service, Subscription, VoiceLine
from tracker.notifications.models import WebhookEndpoint

from .audience import audience_extensions
from .models import Correction, Incident, IncidentUpdate, RestorationSnapshot, StatusSubscription


def incident_affected_subscriptions(*, incident: Incident) -> QuerySet[Subscription]:
    """Subscriptions to an affected service in an affected region."""
    return Subscription.objects.filter(
        service__in=incident.services.values("pk"), region__in=incident.regions.values("pk")
    )


def incident_audience(*, incident: Incident) -> QuerySet[Contact]:
    """Everyone to tell: every contact of every affected business, plus confirmed visitors.

    Nobody has to subscribe: a business's subscription to an affected service in
    an affected region is enough. Visitors (contacts without a business) are told
    when they confirmed a subscription to an affected (service, region) pair.
    Apps add contacts through registered audience extensions (tracker.incidents.audience),
    each one more subquery in the same WHERE.
    One query, no duplicates, no DISTINCT: the notification engine expands it in SQL.
    """
    businesses = incident_affected_subscriptions(incident=incident).values("business_id")
    visitors = StatusSubscription.objects.filter(
        confirmed_at__isnull=False,
        service__in=incident.services.values("pk"),
        region__in=incident.regions.values("pk"),
    ).values("contact_id")
    reached = Q(business_id__in=businesses) | Q(pk__in=visitors)
    for extension in audience_extensions():
        reached |= Q(pk__in=extension(incident))
    return Contact.objects.filter(reached)


@dataclass(frozen=True)
class AudienceCounts:
    total: int
    email: int
    sms: int
    webhook: int


def incident_audience_counts(*, incident: Incident) -> AudienceCounts:
    """How many contacts a publication would reach, by channel (one aggregate query).

    Counts follow the contacts' own choices (wants_email, wants_sms, not
    unsubscribed); webhooks per affected business with an enabled endpoint. 2 queries.
    """
    reachable = Q(unsubscribed_at__isnull=True)
    counts = incident_audience(incident=incident).aggregate(
        total=Count("pk"),
        email=Count("pk", filter=reachable & Q(wants_email=True) & ~Q(email="")),
        sms=Count("pk", filter=reachable & Q(wants_sms=True) & ~Q(phone="")),
    )
    return AudienceCounts(
        total=counts["total"], email=counts["email"], sms=counts["sms"], webhook=_webhook_count(incident)
    )


def _webhook_count(incident: Incident) -> int:
    # One endpoint per business; a disabled one receives nothing.
    return WebhookEndpoint.objects.filter(
        business_id__in=incident_affected_subscriptions(incident=incident).values("business_id"),
        disabled_at__isnull=True,
    ).count()


def _public() -> QuerySet[Incident]:
    return Incident.objects.filter(declared_at__isnull=False)


def incident_list_public(
    *, open_only: bool = False, since: dt.datetime | None = None, service: Service | None = None, limit: int = 200
) -> list[Incident]:
    """Declared incidents, newest first, with their services and regions (3 queries)."""
    qs = _public().prefetch_related(
        Prefetch("services", queryset=Service.objects.order_by("name")),
        Prefetch("regions", queryset=Region.objects.order_by("country", "name")),
    )
    if open_only:
        qs = qs.exclude(status=Incident.Status.RESOLVED)
    if since is not None:
        qs = qs.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=since))
    if service is not None:
        qs = qs.filter(services=service)
    return list(qs.order_by("-started_at", "-id")[:limit])


def incident_detail_public(*, incident_id: int) -> Incident:
    """One declared incident with its timeline, corrections, regions and restoration history.

    Raises Incident.DoesNotExist for an unknown or undeclared incident. 7 queries.
    """
    return (
        _public()
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("name")),
            Prefetch("regions", queryset=Region.objects.order_by("country", "name")),
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-published_at", "-id")),
            Prefetch("corrections", queryset=Correction.objects.order_by("-corrected_at", "-id")),
            Prefetch(
                "restoration_snapshots",
                queryset=RestorationSnapshot.objects.select_related("region").order_by("recorded_at", "id"),
            ),
        )
        .get(pk=incident_id)
    )


def incident_feed_entries(*, service: Service | None = None, limit: int = 50) -> list[IncidentUpdate]:
    """The latest public updates (for Atom feeds), with their incident (1 query)."""
    qs = IncidentUpdate.objects.filter(incident__declared_at__isnull=False).select_related("incident")
    if service is not None:
        qs = qs.filter(incident__services=service)
    return list(qs.order_by("-published_at", "-id")[:limit])


def incidents_affecting_line(*, voice_line: VoiceLine, at: dt.datetime | None = None) -> list[Incident]:
    """Declared, unresolved incidents of the line's service in the line's region (1 query)."""
    subscription = voice_line.subscription
    qs = _public().filter(
        services=subscription.service_id,
        regions=subscription.region_id,
        started_at__lte=at or timezone.now(),
    )
    return list(qs.exclude(status=Incident.Status.RESOLVED).order_by("-started_at", "-id"))


def incidents_overdue_for_update(*, now: dt.datetime | None = None) -> QuerySet[Incident]:
    """Open declared incidents whose promised next update time passed without an update."""
    now = now or timezone.now()
    return _public().exclude(status=Incident.Status.RESOLVED).filter(next_update_due_at__lt=now)


@dataclass(frozen=True)
class UptimeDay:
    date: dt.date
    percent: float
    level: str  # "ok", "warn" or "bad"


@dataclass(frozen=True)
class ServiceUptime:
    service: Service
    percent: float
    days: list[UptimeDay]


def _level(percent: float) -> str:
    if percent >= 100:
        return "ok"
    return "warn" if percent >= 95 else "bad"


def service_uptime(*, days: int = 90, now: dt.datetime | None = None) -> list[ServiceUptime]:
    """Per service and day, the share of the day without a declared incident (3 queries).

    An incident counts against its services from started_at to resolved_at (or now)
    whatever its regions: the bars show when a service was degraded somewhere.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    first = today - dt.timedelta(days=days - 1)
    window_start = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    services = list(Service.objects.order_by("name"))
    incidents = (
        _public()
        .filter(started_at__lt=now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=window_start))
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("pk")))
    )
    intervals: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {s.pk: [] for s in services}
    for incident in incidents:
        end = min(incident.resolved_at or now, now)
        start = max(incident.started_at, window_start)
        if end <= start:
            continue
        for service in incident.services.all():
            intervals.setdefault(service.pk, []).append((start, end))

    result = []
    for service in services:
        merged = _merge(intervals.get(service.pk, []))
        bars = []
        total_down = dt.timedelta()
        total_span = dt.timedelta()
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            day_start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
            day_end = min(day_start + dt.timedelta(days=1), now)
            span = day_end - day_start
            down = sum(
                (
                    min(end, day_end) - max(start, day_start)
                    for start, end in merged
                    if start < day_end and end > day_start
                ),
                dt.timedelta(),
            )
            percent = 100.0 if span <= dt.timedelta() else round(100 * (1 - down / span), 2)
            total_down += down
            total_span += max(span, dt.timedelta())
            bars.append(UptimeDay(date=day, percent=percent, level=_level(percent)))
        overall = 100.0 if not total_span else round(100 * (1 - total_down / total_span), 2)
        result.append(ServiceUptime(service=service, percent=overall, days=bars))
    return result


def _merge(intervals: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
