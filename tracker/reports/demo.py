"""Six months of outage history for the reports (the two stories alone make thin reports).

Ten past incidents over the last six months, each with its declaration, deliveries to the
contacts of affected businesses (mostly sent within minutes, some failed), complaints with
first responses, resolutions and a few SLA breaches, declared losses and compensation
decisions, and a petition with signatures for the two largest. Written in bulk, directly as
history (nothing is sent). Idempotent: the marker is the dedupe key of the first job.
"""

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.utils import timezone

from complaints.models import Complaint
from petitions.models import CompensationDecision, Petition, Signature
from tracker.customers.models import Contact, Region, Service, Subscription
from tracker.incidents.models import Incident, IncidentUpdate
from tracker.notifications.models import Delivery, NotificationJob

MARKER = "demo-history"
TITLES = {
    "fixed-email": "E-mail reception interrupted",
    "business-phone": "Business phone calls fail",
    "internet": "Internet access unavailable",
}
CATEGORIES = {
    "fixed-email": ["cannot_receive_email", "cannot_send_email"],
    "business-phone": ["no_dial_tone", "calls_drop"],
    "internet": ["slow", "other"],
}


def seed(*, stdout) -> None:
    if NotificationJob.objects.filter(dedupe_key__startswith=f"{MARKER}:").exists():
        stdout.write("  report history: already there")
        return
    services = list(Service.objects.order_by("slug"))
    regions = list(Region.objects.order_by("code"))
    if not services or not regions:
        stdout.write("  report history: skipped (no services or regions)")
        return
    rng = random.Random(7)
    today = timezone.localdate()
    made = 0
    for index in range(10):
        days_ago = 180 - index * 17 - rng.randint(0, 6)
        start = timezone.make_aware(
            dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time(rng.randint(6, 20), rng.choice([0, 15])))
        )
        _incident(rng, index, start, rng.choice(services), rng.sample(regions, k=min(len(regions), 2)))
        made += 1
    stdout.write(f"  report history: {made} past incidents with complaints, deliveries and decisions")


def _incident(rng, index, start, service, regions) -> None:
    declared = start + dt.timedelta(minutes=rng.randint(8, 75))
    resolved = start + dt.timedelta(hours=rng.randint(2, 40))
    incident = Incident.objects.create(
        title=TITLES.get(service.slug, f"{service.name} outage"),
        status=Incident.Status.RESOLVED,
        severity=rng.choice([Incident.Severity.MAJOR, Incident.Severity.CRITICAL, Incident.Severity.MINOR]),
        started_at=start,
        detected_at=start + dt.timedelta(minutes=rng.randint(2, 8)),
        declared_at=declared,
        resolved_at=resolved,
        restored_percent=100,
    )
    incident.services.set([service])
    incident.regions.set(regions)
    job = NotificationJob.objects.create(
        kind="incident.update", params={}, dedupe_key=f"{MARKER}:{index}", status=NotificationJob.Status.DONE
    )
    IncidentUpdate.objects.create(
        incident=incident,
        status=Incident.Status.INVESTIGATING,
        message="We are aware of the outage and are working on it.",
        published_at=declared,
        notify=True,
        notification_job=job,
    )
    IncidentUpdate.objects.create(
        incident=incident,
        status=Incident.Status.RESOLVED,
        message="The service is restored.",
        published_at=resolved,
        notify=False,
    )
    subscriptions = list(
        Subscription.objects.filter(service=service, region__in=regions).select_related("business")[:120]
    )
    businesses = {s.business_id: s for s in subscriptions}
    contacts = list(Contact.objects.filter(business_id__in=businesses).order_by("pk")[:300])
    deliveries = []
    for contact in contacts:
        failed = rng.random() < 0.06
        delay = rng.lognormvariate(4.5, 0.9)  # seconds: median about 90 s, a tail of several minutes
        deliveries.append(
            Delivery(
                job=job,
                contact=contact,
                channel="sms" if contact.wants_sms and rng.random() < 0.5 else "email",
                status=Delivery.Status.FAILED if failed else Delivery.Status.SENT,
                attempts=6 if failed else 1,
                last_error="Mailbox unavailable" if failed else "",
                sent_at=None if failed else declared + dt.timedelta(seconds=delay),
            )
        )
    Delivery.objects.bulk_create(deliveries, batch_size=500)
    Delivery.objects.filter(job=job).update(created_at=declared)

    complaints = []
    complainers = rng.sample(list(businesses.values()), k=min(len(businesses), rng.randint(6, 30)))
    for n, subscription in enumerate(complainers):
        filed = start + dt.timedelta(minutes=rng.randint(5, int((resolved - start).total_seconds() // 60)))
        responded = filed + dt.timedelta(minutes=rng.randint(5, 600))
        closed = responded + dt.timedelta(hours=rng.randint(1, 72)) if rng.random() < 0.85 else None
        loss = Decimal(rng.randint(0, 40) * 50) if rng.random() < 0.6 else None
        complaints.append(
            Complaint(
                reference=f"H-{start:%Y}-{index:02d}{n:03d}",
                submission_token=uuid.uuid4(),
                business_id=subscription.business_id,
                subscription=subscription,
                service=service,
                region_id=subscription.region_id,
                site_label=subscription.site_label,
                category=rng.choice(CATEGORIES.get(service.slug, ["other"])),
                since=start,
                description="Service down since this morning.",
                loss_amount=loss,
                loss_currency=subscription.currency if loss is not None else "",
                has_loss=loss is not None,
                status="resolved" if closed else "in_progress",
                incident=incident,
                first_responded_at=responded,
                closed_at=closed,
                sla_breached=(responded - filed) > dt.timedelta(hours=8),
            )
        )
    created = Complaint.objects.bulk_create(complaints)
    for complaint, original in zip(created, complaints, strict=True):
        complaint.created_at = original.first_responded_at - dt.timedelta(minutes=rng.randint(5, 300))
    Complaint.objects.bulk_update(created, ["created_at"])

    decisions = []
    statuses = ["accepted", "accepted", "offered", "proposed", "countered", "rejected"]
    for complaint in created:
        fee = businesses[complaint.business_id].monthly_fee
        proposed = (fee * Decimal(rng.randint(10, 50)) / 100).quantize(Decimal("0.01"))
        status = rng.choice(statuses)
        decisions.append(
            CompensationDecision(
                incident=incident,
                business_id=complaint.business_id,
                currency=businesses[complaint.business_id].currency,
                proposed_amount=proposed,
                offered_amount=proposed if status != "proposed" else None,
                claimed_amount=complaint.loss_amount,
                status=status,
            )
        )
    CompensationDecision.objects.bulk_create(decisions, ignore_conflicts=True)

    if index in (3, 7):
        petition = Petition.objects.create(
            slug=f"history-{start:%Y%m%d}-{index}",
            title=f"Compensation for the outage of {start:%d.%m.%Y}",
            text="We ask for a fair compensation of the losses this outage caused.",
            status=Petition.Status.CLOSED,
        )
        petition.incidents.set([incident])
        signatures = []
        for n in range(rng.randint(12, 40)):
            email = f"signer{index}-{n}@history.example"
            signatures.append(
                Signature(
                    petition=petition,
                    name=f"Signer {n}",
                    email=email,
                    email_canonical=email,
                    email_domain="history.example",
                    company=f"Company {n}",
                    loss_amount=Decimal(rng.randint(1, 30) * 100),
                    loss_currency="CHF" if regions[0].country == "CH" else "EUR",
                    confirmed_at=resolved + dt.timedelta(hours=n),
                )
            )
        Signature.objects.bulk_create(signatures)
