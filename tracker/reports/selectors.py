"""Reads of the manager reports: every figure is an SQL aggregate.

No selector loops over complaints, deliveries or signatures in Python: counts
and sums are aggregates, distributions are GROUP BY queries, percentiles are
window-function queries (see sql.py) that return at most two rows per rank.
The query count of a report is fixed, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.utils import timezone

from complaints.models import Complaint
from complaints.models import Status as ComplaintStatus
from petitions.models import CompensationDecision, Petition, Signature
from tracker.customers.models import Contact, Subscription
from tracker.incidents.models import Incident, IncidentUpdate
from tracker.notifications.models import Delivery

from .sql import histogram, percentiles, seconds_between

# Buckets of the time-to-notify chart, in seconds.
NOTIFY_BUCKETS = [0, 60, 5 * 60, 15 * 60, 60 * 60, 4 * 60 * 60]
# Above this many hours, the complaints chart counts per day instead of per hour.
MAX_HOURLY_BARS = 96


@dataclass(frozen=True)
class ReportFilters:
    """What a report or an export covers. Dates are inclusive, in the site's time zone."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    service_id: int | None = None
    region_id: int | None = None
    incident_id: int | None = None

    def as_json(self) -> dict:
        data = {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "service": self.service_id,
            "region": self.region_id,
            "incident": self.incident_id,
        }
        return {key: value for key, value in data.items() if value is not None}

    @property
    def start(self) -> dt.datetime | None:
        if not self.date_from:
            return None
        return timezone.make_aware(dt.datetime.combine(self.date_from, dt.time.min))

    @property
    def end(self) -> dt.datetime | None:
        """Exclusive: midnight after date_to."""
        if not self.date_to:
            return None
        return timezone.make_aware(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min))

    @property
    def has_incident_scope(self) -> bool:
        return bool(self.service_id or self.region_id or self.incident_id)

    def created_q(self, column: str = "created_at") -> Q:
        q = Q()
        if self.start:
            q &= Q(**{f"{column}__gte": self.start})
        if self.end:
            q &= Q(**{f"{column}__lt": self.end})
        return q


# --- Scopes: one queryset per kind of row, filtered the same way everywhere --------------


def incident_scope(*, filters: ReportFilters, period: bool = False) -> QuerySet[Incident]:
    """Incidents matching service, region and incident; with period=True, also overlapping the period."""
    qs = Incident.objects.all()
    if filters.incident_id:
        qs = qs.filter(pk=filters.incident_id)
    if filters.service_id:
        qs = qs.filter(
            pk__in=Incident.services.through.objects.filter(service_id=filters.service_id).values("incident_id")
        )
    if filters.region_id:
        qs = qs.filter(
            pk__in=Incident.regions.through.objects.filter(region_id=filters.region_id).values("incident_id")
        )
    if period:
        if filters.end:
            qs = qs.filter(started_at__lt=filters.end)
        if filters.start:
            qs = qs.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=filters.start))
    return qs


def complaint_scope(*, filters: ReportFilters) -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(filters.created_q())
    if filters.service_id:
        qs = qs.filter(service_id=filters.service_id)
    if filters.region_id:
        qs = qs.filter(region_id=filters.region_id)
    if filters.incident_id:
        qs = qs.filter(incident_id=filters.incident_id)
    return qs


def incident_jobs(*, incidents: QuerySet[Incident]) -> QuerySet:
    """Ids of the notification jobs of the updates of these incidents."""
    return IncidentUpdate.objects.filter(incident__in=incidents, notification_job__isnull=False).values(
        "notification_job_id"
    )


def delivery_scope(*, filters: ReportFilters) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(filters.created_q())
    if filters.has_incident_scope:
        qs = qs.filter(job_id__in=incident_jobs(incidents=incident_scope(filters=filters)))
    return qs


def signature_scope(*, filters: ReportFilters) -> QuerySet[Signature]:
    qs = Signature.objects.filter(filters.created_q())
    if filters.has_incident_scope:
        petitions = Petition.incidents.through.objects.filter(incident__in=incident_scope(filters=filters))
        qs = qs.filter(petition_id__in=petitions.values("petition_id"))
    return qs


def live_signatures(qs: QuerySet[Signature]) -> QuerySet[Signature]:
    """Counted signatures: e-mail confirmed, neither withdrawn nor invalidated."""
    return qs.filter(confirmed_at__isnull=False, withdrawn_at__isnull=True, invalidated_at__isnull=True)


def decision_scope(*, filters: ReportFilters) -> QuerySet[CompensationDecision]:
    qs = CompensationDecision.objects.filter(filters.created_q())
    if filters.has_incident_scope:
        qs = qs.filter(incident__in=incident_scope(filters=filters))
    return qs


# --- Figures ---------------------------------------------------------------------------


@dataclass
class Spread:
    """Count, median and a high percentile of durations in seconds."""

    count: int
    median: float | None
    high: float | None
    high_label: str


@dataclass
class ChannelFigures:
    channel: str
    label: str
    sent: int
    failed: int
    total: int


@dataclass
class MoneyRow:
    currency: str
    complaints_declared: Decimal = Decimal("0")
    signatures_declared: Decimal = Decimal("0")
    claimed: Decimal = Decimal("0")
    proposed: Decimal = Decimal("0")
    offered: Decimal = Decimal("0")
    granted: Decimal = Decimal("0")
    decisions: int = 0


@dataclass
class ReportFigures:
    filters: ReportFilters
    incidents: int
    affected_businesses: int
    affected_contacts: int
    complaints: int
    sla_breaches: int
    first_response: Spread
    resolution: Spread
    channels: list[ChannelFigures]
    time_to_notify: Spread
    notify_histogram: list[int]
    signatures: int
    money: list[MoneyRow] = field(default_factory=list)


def _spread(values_qs: QuerySet, high: float) -> Spread:
    n, values = percentiles(values_qs, [0.5, high])
    return Spread(count=n, median=values[0.5], high=values[high], high_label=f"p{round(high * 100)}")


def affected_counts(*, incidents: QuerySet[Incident]) -> tuple[int, int]:
    """Distinct businesses with a subscription to an affected service in an affected region, and their contacts."""
    matching = incidents.filter(services=OuterRef("service_id"), regions=OuterRef("region_id"))
    businesses = Subscription.objects.filter(Exists(matching)).values("business_id")
    business_count = Subscription.objects.filter(Exists(matching)).aggregate(n=Count("business_id", distinct=True))["n"]
    contact_count = Contact.objects.filter(business_id__in=businesses).count()
    return business_count, contact_count


def notify_durations(*, filters: ReportFilters) -> QuerySet:
    """Per incident and contact: seconds from declaration to the first delivered message (column "d")."""
    update = IncidentUpdate.objects.filter(notification_job_id=OuterRef("job_id"))
    return (
        delivery_scope(filters=filters)
        .filter(status=Delivery.Status.SENT, sent_at__isnull=False)
        .annotate(
            incident_ref=Subquery(update.values("incident_id")[:1]),
            declared=Subquery(update.values("incident__declared_at")[:1]),
        )
        .filter(declared__isnull=False)
        .values("incident_ref", "declared", "contact_id")
        .annotate(first=Min("sent_at"))
        .annotate(d=seconds_between(F("declared"), F("first")))
        .values("d")
    )


def report_figures(*, filters: ReportFilters) -> ReportFigures:
    """Every figure of a report: about fifteen queries whatever the number of rows."""
    incidents = incident_scope(filters=filters, period=True)
    businesses, contacts = affected_counts(incidents=incidents)
    complaints = complaint_scope(filters=filters)
    totals = complaints.aggregate(n=Count("pk"), breached=Count("pk", filter=Q(sla_breached=True)))
    first_response = _spread(
        complaints.filter(first_responded_at__isnull=False)
        .annotate(d=seconds_between(F("created_at"), F("first_responded_at")))
        .values("d"),
        0.9,
    )
    resolution = _spread(
        complaints.filter(status=ComplaintStatus.RESOLVED, closed_at__isnull=False)
        .annotate(d=seconds_between(F("created_at"), F("closed_at")))
        .values("d"),
        0.9,
    )
    channels = [
        ChannelFigures(
            channel=row["channel"],
            label=str(dict(Delivery._meta.get_field("channel").choices).get(row["channel"], row["channel"])),
            sent=row["sent"],
            failed=row["failed"],
            total=row["total"],
        )
        for row in delivery_scope(filters=filters)
        .values("channel")
        .annotate(
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            total=Count("pk"),
        )
        .order_by("channel")
    ]
    durations = notify_durations(filters=filters)
    signatures = live_signatures(signature_scope(filters=filters))
    return ReportFigures(
        filters=filters,
        incidents=incidents.count(),
        affected_businesses=businesses,
        affected_contacts=contacts,
        complaints=totals["n"],
        sla_breaches=totals["breached"],
        first_response=first_response,
        resolution=resolution,
        channels=channels,
        time_to_notify=_spread(durations, 0.95),
        notify_histogram=histogram(durations, NOTIFY_BUCKETS),
        signatures=signatures.count(),
        money=money_rows(complaints=complaints, signatures=signatures, decisions=decision_scope(filters=filters)),
    )


def money_rows(*, complaints, signatures, decisions) -> list[MoneyRow]:
    """Declared losses against claimed, proposed, offered and granted compensation, per currency (3 queries)."""
    rows: dict[str, MoneyRow] = defaultdict(lambda: MoneyRow(currency=""))

    def row(currency: str) -> MoneyRow:
        entry = rows[currency]
        entry.currency = currency
        return entry

    for r in (
        complaints.filter(loss_amount__isnull=False)
        .values("loss_currency")
        .annotate(total=Sum("loss_amount"))
        .order_by("loss_currency")
    ):
        row(r["loss_currency"] or "?").complaints_declared = r["total"]
    for r in signatures.values("loss_currency").annotate(total=Sum("loss_amount")).order_by("loss_currency"):
        row(r["loss_currency"]).signatures_declared = r["total"]
    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
    offered_statuses = [
        CompensationDecision.Status.OFFERED,
        CompensationDecision.Status.ACCEPTED,
        CompensationDecision.Status.COUNTERED,
        CompensationDecision.Status.REJECTED,
    ]
    for r in (
        decisions.values("currency")
        .annotate(
            n=Count("pk"),
            claimed=Coalesce(Sum("claimed_amount"), zero),
            proposed=Coalesce(Sum("proposed_amount"), zero),
            offered=Coalesce(Sum("offered_amount", filter=Q(status__in=offered_statuses)), zero),
            granted=Coalesce(Sum("offered_amount", filter=Q(status=CompensationDecision.Status.ACCEPTED)), zero),
        )
        .order_by("currency")
    ):
        entry = row(r["currency"])
        entry.decisions = r["n"]
        entry.claimed = r["claimed"]
        entry.proposed = r["proposed"]
        entry.offered = r["offered"]
        entry.granted = r["granted"]
    return [rows[key] for key in sorted(rows)]


def incident_list(*, filters: ReportFilters) -> QuerySet[Incident]:
    """Incidents of the period with their complaint, breach and signature counts (one query)."""

    def count_of(qs) -> Subquery:
        # COUNT(*) as a plain function: a correlated scalar subquery without GROUP BY.
        return Subquery(
            qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1], output_field=IntegerField()
        )

    complaints = Complaint.objects.filter(incident_id=OuterRef("pk"))
    signatures = live_signatures(
        Signature.objects.filter(
            petition__in=Petition.incidents.through.objects.filter(incident_id=OuterRef(OuterRef("pk"))).values(
                "petition_id"
            )
        )
    )
    return (
        incident_scope(filters=filters, period=True)
        .annotate(
            complaint_count=count_of(complaints),
            breach_count=count_of(complaints.filter(sla_breached=True)),
            signature_count=count_of(signatures),
        )
        .order_by("-started_at", "-pk")
    )


@dataclass
class Bar:
    label: str
    value: int


def complaints_over_time(*, incident: Incident, now: dt.datetime | None = None) -> tuple[str, list[Bar]]:
    """Complaints linked to the incident per hour (per day when long), from its start to its end. One query."""
    now = now or timezone.now()
    start = timezone.localtime(incident.started_at)
    end = timezone.localtime(incident.resolved_at or now)
    hours = (end - start).total_seconds() / 3600
    per_day = hours > MAX_HOURLY_BARS
    trunc = TruncDay if per_day else TruncHour
    counts = {
        timezone.localtime(row["bucket"]).replace(tzinfo=None): row["n"]
        for row in Complaint.objects.filter(incident=incident)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    }
    step = dt.timedelta(days=1) if per_day else dt.timedelta(hours=1)
    cursor = start.replace(minute=0, second=0, microsecond=0, tzinfo=None)
    if per_day:
        cursor = cursor.replace(hour=0)
    stop = end.replace(tzinfo=None)
    if counts:
        stop = max(stop, max(counts))
    bars = []
    # Complaints filed before the start (an outage noticed late) go in the first bar.
    early = sum(n for bucket, n in counts.items() if bucket < cursor)
    while cursor <= stop and len(bars) < 400:
        label = cursor.strftime("%d.%m") if per_day else cursor.strftime("%d.%m %H:00")
        bars.append(Bar(label=label, value=counts.get(cursor, 0) + (early if not bars else 0)))
        cursor += step
    return ("day" if per_day else "hour"), bars


def incident_report(*, incident_id: int) -> tuple[Incident, ReportFigures]:
    incident = Incident.objects.prefetch_related("services", "regions").get(pk=incident_id)
    return incident, report_figures(filters=ReportFilters(incident_id=incident_id))


def incident_timeline(*, incident: Incident) -> QuerySet[IncidentUpdate]:
    return IncidentUpdate.objects.filter(incident=incident).order_by("published_at", "pk")
