"""Reads of the complaints app. Each states what it joins."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Count, Q, QuerySet, When
from django.utils import timezone

from tracker.customers.models import Contact, Subscription
from tracker.incidents.models import Incident

from .models import Complaint, ComplaintAttachment, ComplaintEvent, ComplaintSpike


def complaint_visible_q(*, contact: Contact) -> Q:
    """A business admin sees every complaint of the business, other contacts their own."""
    if contact.business_id is None:
        return Q(pk__in=[])
    if contact.is_business_admin:
        return Q(business_id=contact.business_id)
    return Q(business_id=contact.business_id, contact_id=contact.pk)


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


def _active_incidents(*, at: datetime | None = None) -> QuerySet[Incident]:
    now = timezone.now()
    return Incident.objects.filter(started_at__lte=now).filter(
        ~Q(status=Incident.Status.RESOLVED) | Q(resolved_at__gte=at or now)
    )


def incident_matching(*, service_id: int, region_id: int, since: datetime | None = None) -> Incident | None:
    """The incident a complaint about this service and region belongs to.

    Open incidents covering the service and region (or resolved after the trouble began); a declared
    one wins over a merely suspected one, then the most recent.
    """
    return (
        _active_incidents(at=since)
        .filter(services__id=service_id, regions__id=region_id)
        .order_by(Case(When(declared_at__isnull=True, then=1), default=0), "-started_at")
        .first()
    )


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


def complaint_link_candidates(*, incident: Incident) -> QuerySet[Complaint]:
    """Open complaints that match the incident's services and regions and are not linked to it yet."""
    return (
        Complaint.objects.filter(
            status__in=["new", "triaged", "in_progress", "waiting"],
            service__in=incident.services.all(),
            region__in=incident.regions.all(),
        )
        .exclude(incident=incident)
        .select_related("business", "service", "region", "incident")
        .order_by("-id")
    )


def incidents_with_link_candidates(*, limit: int = 20) -> list[tuple[Incident, int]]:
    """Open incidents and how many open complaints could be linked to each (the proposals)."""
    result = []
    for incident in Incident.objects.exclude(status=Incident.Status.RESOLVED).order_by("-started_at")[:limit]:
        count = complaint_link_candidates(incident=incident)[:1000].count()
        if count:
            result.append((incident, count))
    return result


def contacts_of_complaints_linked_to(*, incident_id: int) -> QuerySet[Contact]:
    """Contacts who should receive an incident's updates because their complaint is linked to it.

    For the incidents app's audience: the filer and the business admins of each linked complaint.
    """
    linked = Complaint.objects.filter(incident_id=incident_id)
    return Contact.objects.filter(
        Q(pk__in=linked.values("contact_id")) | Q(is_business_admin=True, business_id__in=linked.values("business_id"))
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
