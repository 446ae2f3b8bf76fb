"""Demo complaints: both stories as data. Idempotent.

SFR, February 2009: from the morning after the mail platform broke, hundreds of
French businesses complain that no e-mail arrives; most complaints come in
before anything is declared. The Paris surge of 25 February morning is what
spike detection catches (recorded as a spike on the story's incident).
Swisscom, June 2018: during the 75-minute phone outage, Swiss businesses file
complaints that are linked to the declared incident and answered.
The demo contact (contact@demo.example) also has two complaints of today.
"""

import datetime as dt
import random
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.utils import timezone

from tracker.customers.models import Business, Contact, Region, Service, Subscription
from tracker.incidents.models import Incident

from . import services
from .models import Complaint, ComplaintEvent, ComplaintSpike, Status
from .spikes import spike_candidates

PARIS = ZoneInfo("Europe/Paris")
ZURICH = ZoneInfo("Europe/Zurich")
SFR_BUSINESSES = 320
SURGE_AT = dt.datetime(2009, 2, 25, 8, 40, tzinfo=PARIS)
SFR_DECLARED = dt.datetime(2009, 3, 2, 19, 0, tzinfo=PARIS)
SWISSCOM_START = dt.datetime(2018, 6, 5, 9, 0, tzinfo=ZURICH)
COMPANY_WORDS = ["Atelier", "Cabinet", "Boulangerie", "Garage", "Agence", "Pharmacie", "Studio", "Fiduciaire"]
SFR_TEXTS = [
    "Nous ne recevons plus aucun e-mail depuis mardi soir. L'envoi fonctionne.",
    "Plus de réception de courriels sur notre adresse neuf.fr, nos clients nous écrivent en vain.",
    "Boîte mail professionnelle muette depuis deux jours, aucune information de votre part.",
    "Impossible de recevoir les bons de commande par e-mail. Perte de chiffre d'affaires.",
]


def seed(*, stdout) -> None:
    if Complaint.objects.filter(description__startswith="[demo]").exists():
        stdout.write("  complaints: already there")
        return
    rng = random.Random(2009)  # demo data, not security
    agent = get_user_model().objects.filter(username="agent").first()
    sfr = _sfr(rng, agent)
    swisscom = _swisscom(rng, agent)
    mine = _demo_contact(agent)
    stdout.write(f"  complaints: {sfr} for SFR, {swisscom} for Swisscom, {mine} for the demo contact")


def _reference(complaint: Complaint) -> str:
    return f"C-{complaint.created_at.year}-{complaint.pk:06d}"


def _bulk(complaints: list[Complaint], created: list[dt.datetime]) -> list[Complaint]:
    Complaint.objects.bulk_create(complaints, batch_size=500)
    for complaint, at in zip(complaints, created, strict=True):
        complaint.created_at = at
        complaint.reference = _reference(complaint)
    Complaint.objects.bulk_update(complaints, ["created_at", "reference"], batch_size=500)
    ComplaintEvent.objects.bulk_create(
        [ComplaintEvent(complaint=c, kind="filed", is_public=True, to_status="new") for c in complaints], batch_size=500
    )
    return complaints


def _story_businesses(rng, service: Service, regions: list[Region]) -> list[Subscription]:
    paris = [r for r in regions if r.code in {"FR-75", "FR-92", "FR-93", "FR-94"}]
    businesses, contacts, subscriptions = [], [], []
    for n in range(1, SFR_BUSINESSES + 1):
        region = rng.choice(paris) if n <= 200 else rng.choice(regions)
        if n <= 140:
            region = next(r for r in regions if r.code == "FR-75")
        business = Business(
            customer_number=f"DEMO-S{n:05d}",
            company_name=f"{rng.choice(COMPANY_WORDS)} {n:03d} SARL",
            language="fr",
            tier=rng.choice(["standard", "standard", "business", "premium"]),
        )
        businesses.append((business, region))
    Business.objects.bulk_create([b for b, _ in businesses])
    for business, region in businesses:
        contacts.append(
            Contact(
                business=business,
                name=f"Gérant {business.customer_number}",
                email=f"gerant@{business.customer_number.lower()}.demo.example",
                is_business_admin=True,
                language="fr",
            )
        )
        subscriptions.append(
            Subscription(
                business=business,
                service=service,
                region=region,
                site_label="Siège",
                monthly_fee=Decimal(19 + rng.randint(0, 20)),
                currency="EUR",
            )
        )
    Contact.objects.bulk_create(contacts)
    Subscription.objects.bulk_create(subscriptions)
    return subscriptions


def _sfr(rng, agent) -> int:
    email = Service.objects.get(slug="fixed-email")
    regions = list(Region.objects.filter(country="FR"))
    incident = Incident.objects.filter(started_at=dt.datetime(2009, 2, 24, 20, 0, tzinfo=PARIS)).first()
    subscriptions = _story_businesses(rng, email, regions)
    contacts = {c.business_id: c for c in Contact.objects.filter(business__customer_number__startswith="DEMO-S")}
    complaints, created = [], []
    start = dt.datetime(2009, 2, 25, 8, 0, tzinfo=PARIS)
    for i, sub in enumerate(subscriptions):
        if i < 140:  # the Paris surge: 140 businesses within 40 minutes on the first morning
            at = start + dt.timedelta(seconds=rng.randint(0, 40 * 60))
        else:  # then all week long
            at = start + dt.timedelta(hours=rng.randint(1, 24 * 7))
        since = dt.datetime(2009, 2, 24, 20, 0, tzinfo=PARIS) + dt.timedelta(hours=rng.randint(0, 12))
        loss = Decimal(rng.choice([0, 0, 150, 400, 1200, 3500]))
        declared = at >= SFR_DECLARED
        complaints.append(
            Complaint(
                business_id=sub.business_id,
                contact=contacts[sub.business_id],
                subscription=sub,
                service=email,
                region_id=sub.region_id,
                site_label=sub.site_label,
                category="cannot_receive_email",
                since=min(since, at),
                description="[demo] " + rng.choice(SFR_TEXTS),
                loss_amount=loss or None,
                loss_currency="EUR" if loss else "",
                has_loss=bool(loss),
                incident=incident,
                status=Status.RESOLVED if declared else rng.choice([Status.NEW, Status.NEW, Status.TRIAGED]),
                submission_token=uuid.uuid4(),
                sla_breached=not declared,
                closed_at=dt.datetime(2009, 3, 6, 18, 0, tzinfo=PARIS) if declared else None,
            )
        )
        created.append(at)
    _bulk(complaints, created)
    # Replay detection on the morning of the surge: it fires for Fixed e-mail in Paris.
    for row in spike_candidates(now=SURGE_AT):
        ComplaintSpike.objects.create(
            service_id=row["service_id"],
            region_id=row["region_id"],
            window_start=SURGE_AT - dt.timedelta(minutes=10),
            window_end=SURGE_AT,
            businesses=row["current"],
            previous_businesses=row["previous"],
            baseline=row["baseline"],
            incident=incident,
            alert_sent_at=SURGE_AT,
        )
    return len(complaints)


def _swisscom(rng, agent) -> int:
    phone = Service.objects.get(slug="business-phone")
    incident = Incident.objects.filter(started_at=SWISSCOM_START).first()
    subs = list(
        Subscription.objects.filter(service=phone, business__customer_number__startswith="DEMO-0")
        .select_related("business")
        .order_by("pk")[:40]
    )
    contacts = {}
    for contact in Contact.objects.filter(business_id__in=[s.business_id for s in subs], is_business_admin=True):
        contacts.setdefault(contact.business_id, contact)
    complaints, created = [], []
    for sub in subs:
        at = SWISSCOM_START + dt.timedelta(minutes=rng.randint(3, 90))
        complaints.append(
            Complaint(
                business_id=sub.business_id,
                contact=contacts.get(sub.business_id),
                subscription=sub,
                service=phone,
                region_id=sub.region_id,
                site_label=sub.site_label,
                category=rng.choice(["no_dial_tone", "calls_drop"]),
                since=SWISSCOM_START + dt.timedelta(minutes=rng.randint(0, 5)),
                description="[demo] Keine Anrufe möglich, unsere Kunden erreichen uns nicht.",
                incident=incident,
                status=Status.RESOLVED,
                submission_token=uuid.uuid4(),
                closed_at=SWISSCOM_START + dt.timedelta(hours=3),
            )
        )
        created.append(at)
    _bulk(complaints, created)
    return len(complaints)


def _demo_contact(agent) -> int:
    contact = Contact.objects.filter(email="contact@demo.example").select_related("business").first()
    if contact is None:
        return 0
    made = 0
    for sub in Subscription.objects.filter(business_id=contact.business_id).order_by("pk")[:2]:
        complaint, _ = services.complaint_file(
            contact=contact,
            subscription=sub,
            category="slow",
            since=timezone.now() - dt.timedelta(hours=5),
            description="[demo] The connection is very slow since this morning.",
            loss_amount=Decimal("300.00"),
            user=contact.user,
        )
        made += 1
        if agent is not None and made == 1:
            services.complaint_transition(
                complaint_id=complaint.pk, to_status=Status.WAITING, actor=agent, canned="need_details"
            )
    return made
