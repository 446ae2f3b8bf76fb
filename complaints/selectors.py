"""Reads of the complaints app. Each states what it joins."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tracker.customers.models import Contact, Subscription
from tracker.incidents.cache import status_cache_version
from tracker.incidents.models import Incident

from .models import Complaint, ComplaintAttachment, ComplaintEvent, ComplaintSpike


def complaint_visible_q(*, contact: Contact) -> Q:
    """A business admin sees every complaint of the business, other contacts their own."""
    if contact.business_id is None:
        return Q(pk__in=[])
    if contact.is_business_admin:
        return Q(business_id=contact.business_id)
    return Q(business_id=contact.business_id, contact_id=contact.pk)


def complaint_is_visible_to(*, complaint: Complaint, contact: Contact) -> bool:
    """complaint_visible_q's rule for a row already loaded (services check it before writing)."""
    if contact.business_id is None or complaint.business_id != contact.business_id:
        return False
    return contact.is_business_admin or complaint.contact_id == contact.pk


def complaint_list_for_contact(*, contact: Contact) -> QuerySet[Complaint]:
    """The customer's list: joins service, region and incident (one query whatever the length)."""
    return (
        Complaint.objects.filter(complaint_visible_q(contact=contact))
        .select_related("service", "region", "incident")
        .order_by("-id")
    )


def complaint_get_for_contact(*, contact: Contact, reference: str) -> Complaint | None:
    return (
        Complaint.objects.filter(complaint_visible_q(contact=contact), reference=reference)
        .select_related("service", "region", "incident", "business", "duplicate_of")
        .first()
    )


def complaint_public_timeline(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    """What the customer sees: public events only, never internal notes."""
    return complaint.events.filter(is_public=True).select_related("actor").order_by("id")


def complaint_timeline(*, complaint: Complaint) -> QuerySet[ComplaintEvent]:
    """Everything, for staff."""
    return complaint.events.select_related("actor").order_by("id")


def complaint_attachments(*, complaint: Complaint) -> QuerySet[ComplaintAttachment]:
    return complaint.attachments.order_by("id")


def subscriptions_for_contact(*, contact: Contact) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(business_id=contact.business_id)
        .select_related("service", "region")
        .order_by("service__name", "site_label")
    )


def subscription_for_contact(*, contact: Contact, pk) -> Subscription | None:
    """The one subscription a filing names, if it is the contact's business's; None for anything else."""
    try:
        return Subscription.objects.select_related("service", "region").get(business_id=contact.business_id, pk=pk)
    except (Subscription.DoesNotExist, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class _Candidate:
    id: int
    declared: bool
    started_at: datetime
    resolved_at: datetime | None
    service_ids: frozenset[int]
    region_ids: frozenset[int]


# A complaint's "since" is at most a year back (forms.ComplaintForm): older resolved incidents never match.
MATCH_WINDOW = timedelta(days=366)
_candidates_memo: tuple[str | None, tuple[_Candidate, ...]] = (None, ())


def _incident_candidates() -> tuple[_Candidate, ...]:
    """Incidents a new complaint may belong to, kept per process under the status pages' cache version.

    Every incident write bumps that version (tracker.incidents.receivers), so filing a complaint matches
    without a query except right after an incident changed.
    """
    global _candidates_memo
    version = status_cache_version()
    if _candidates_memo[0] == version:
        return _candidates_memo[1]
    cutoff = timezone.now() - MATCH_WINDOW
    incidents = Incident.objects.filter(~Q(status=Incident.Status.RESOLVED) | Q(resolved_at__gte=cutoff))
    places = defaultdict(lambda: (set(), set()))
    for incident_id, service_id in Incident.services.through.objects.filter(incident__in=incidents).values_list(
        "incident_id", "service_id"
    ):
        places[incident_id][0].add(service_id)
    for incident_id, region_id in Incident.regions.through.objects.filter(incident__in=incidents).values_list(
        "incident_id", "region_id"
    ):
        places[incident_id][1].add(region_id)
    candidates = tuple(
        _Candidate(
            id=pk,
            declared=declared_at is not None,
            started_at=started_at,
            resolved_at=resolved_at if status == Incident.Status.RESOLVED else None,
            service_ids=frozenset(places[pk][0]),
            region_ids=frozenset(places[pk][1]),
        )
        for pk, declared_at, started_at, resolved_at, status in incidents.values_list(
            "pk", "declared_at", "started_at", "resolved_at", "status"
        )
    )
    _candidates_memo = (version, candidates)
    return candidates


def incident_matching_id(*, service_id: int, region_id: int, since: datetime | None = None) -> int | None:
    """The incident a complaint about this service and region belongs to.

    Open incidents covering the service and region (or resolved after the trouble began); a declared
    one wins over a merely suspected one, then the most recent.
    """
    now = timezone.now()
    at = since or now
    matching = [
        c
        for c in _incident_candidates()
        if service_id in c.service_ids
        and region_id in c.region_ids
        and c.started_at <= now
        and (c.resolved_at is None or c.resolved_at >= at)
    ]
    if not matching:
        return None
    return max(matching, key=lambda c: (c.declared, c.started_at, c.id)).id


def incidents_for_subscriptions(*, subscriptions) -> list[tuple[Subscription, Incident]]:
    """Declared, open incidents that cover one of these subscriptions: shown before filing."""
    pairs = []
    subs = list(subscriptions)
    if not subs:
        return pairs
    incidents = (
        Incident.objects.filter(declared_at__isnull=False)
        .exclude(status=Incident.Status.RESOLVED)
        .filter(services__id__in={s.service_id for s in subs}, regions__id__in={s.region_id for s in subs})
        .prefetch_related("services", "regions")
        .distinct()
        .order_by("-started_at")
    )
    for incident in incidents:
        service_ids = {s.pk for s in incident.services.all()}
        region_ids = {r.pk for r in incident.regions.all()}
        for sub in subs:
            if sub.service_id in service_ids and sub.region_id in region_ids:
                pairs.append((sub, incident))
    return pairs


def incident_covering_exists(*, service_id: int, region_id: int) -> bool:
    """Is any incident (suspected included) not yet resolved covering this service and region?"""
    return (
        Incident.objects.exclude(status=Incident.Status.RESOLVED)
        .filter(services__id=service_id, regions__id=region_id)
        .exists()
    )


def complaint_sla_counts(*, incident_id: int | None = None) -> dict[str, int]:
    """How many complaints breached their service level, and how many are open, overall or for one incident."""
    qs = Complaint.objects.all()
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    return qs.aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(sla_breached=True)),
        open=Count("pk", filter=Q(status__in=["new", "triaged", "in_progress", "waiting"])),
    )


def spikes_open() -> QuerySet[ComplaintSpike]:
    """Spikes nobody acknowledged yet: the admin banner."""
    return (
        ComplaintSpike.objects.filter(acknowledged_at__isnull=True)
        .select_related("service", "region", "incident")
        .order_by("-detected_at")
    )
