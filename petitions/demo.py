"""Demo petitions and compensation: the SFR petition (story 2) and compensation for both stories."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from tracker.customers.models import Business, Contact
from tracker.incidents.demo import SFR_START, SWISSCOM_START
from tracker.incidents.models import Incident

from . import abuse, counting, decisions, services
from .models import CompensationDecision, CompensationRule, Petition, PetitionTally, PetitionThreshold, Signature

SLUG = "sfr-messagerie-dedommagement"
TEXT = (
    "Depuis le mardi 24 février au soir, une grande partie des abonnés ADSL de SFR, Neuf Cegetel et "
    "Club-Internet ne reçoivent plus leurs e-mails. Pour les professionnels, plus d'une semaine sans "
    "messagerie est un manque à gagner considérable. Aucune communication, aucun incident déclaré sur le portail."
)
DEMAND = "Nous demandons un dédommagement pour les préjudices subis, proportionné à la durée de la panne."
# The petition was written in French; staff translated it for the other languages of the site.
TRANSLATIONS = {
    "de": {
        "title": "Petition für eine Entschädigung durch SFR",
        "text": (
            "Seit Dienstagabend, dem 24. Februar, erhält ein großer Teil der ADSL-Kunden von SFR, Neuf Cegetel "
            "und Club-Internet keine E-Mails mehr. Für Geschäftskunden bedeutet mehr als eine Woche ohne E-Mail "
            "einen erheblichen Verdienstausfall. Keine Mitteilung, keine gemeldete Störung im Portal."
        ),
        "demand": "Wir fordern eine Entschädigung für die erlittenen Schäden, im Verhältnis zur Dauer der Störung.",
    },
    "it": {
        "title": "Petizione per un risarcimento da parte di SFR",
        "text": (
            "Da martedì 24 febbraio sera, gran parte degli abbonati ADSL di SFR, Neuf Cegetel e Club-Internet "
            "non riceve più le proprie e-mail. Per i professionisti, più di una settimana senza posta elettronica "
            "è una perdita di guadagno considerevole. Nessuna comunicazione, nessun guasto dichiarato sul portale."
        ),
        "demand": "Chiediamo un risarcimento per i danni subiti, proporzionato alla durata del guasto.",
    },
    "en": {
        "title": "Petition for compensation from SFR",
        "text": (
            "Since the evening of Tuesday 24 February, many ADSL subscribers of SFR, Neuf Cegetel and "
            "Club-Internet no longer receive their e-mail. For businesses, more than a week without e-mail is a "
            "considerable loss of income. No communication, no incident declared on the portal."
        ),
        "demand": "We ask for compensation for the losses suffered, in proportion to the length of the outage.",
    },
}
# (name, e-mail, company, loss EUR, hours, lines, confirmed)
SIGNERS = [
    ("Fabien H.", "fabien.h@atelier-h.example", "Atelier H", "2400.00", 170, 2, True),
    ("M. Brunet", "brunet@brunet-conseil.example", "Brunet Conseil", "5800.00", 180, 4, True),
    ("Hérisson", "herisson@herisson-immo.example", "Hérisson Immobilier", "1200.00", 150, 1, True),
    ("Claire Martin", "claire@martin-avocats.example", "Martin Avocats", "9500.00", 190, 6, True),
    ("Paul Girard", "paul@girard-btp.example", "Girard BTP", "3100.00", 170, 3, True),
    ("Nadia Benali", "nadia@benali-compta.example", "Benali Compta", "750.00", 120, 1, True),
    ("Luc Moreau", "luc@moreau-fleurs.example", "Moreau Fleurs", "420.00", 90, 1, False),
    ("Sophie Leroy", "sophie@leroy-design.example", "Leroy Design", "0.00", 160, 1, False),
]


def seed(*, stdout) -> None:
    swisscom = Incident.objects.filter(started_at=SWISSCOM_START).first()
    sfr = Incident.objects.filter(started_at=SFR_START).first()
    if sfr is None or swisscom is None:
        stdout.write("  petitions: the demo incidents are missing, skipped")
        return
    if Petition.objects.filter(slug=SLUG).exists():
        stdout.write("  petitions: already there")
        return
    petition = _sfr_petition(sfr)
    _compensation(swisscom=swisscom, sfr=sfr)
    tally = PetitionTally.objects.get(petition=petition)
    stdout.write(
        f"  petitions: /petitions/{petition.slug}/ with {tally.confirmed} confirmed signatures; "
        f"{CompensationDecision.objects.count()} compensation proposals"
    )


def _sfr_petition(sfr: Incident) -> Petition:
    agent = get_user_model().objects.filter(username="agent").first()
    petition = services.petition_create(
        title="Pétition pour un dédommagement de la part de SFR",
        slug=SLUG,
        text=TEXT,
        demand=DEMAND,
        language="fr",
        translations=TRANSLATIONS,
        incidents=[sfr],
        thresholds=[
            (5, "SFR répond publiquement à la pétition", 14),
            (100, "Examen par la direction", None),
            (1000, "Dédommagement automatique de tous les clients professionnels touchés", 30),
        ],
        created_by=agent,
    )
    petition = services.petition_transition(petition=petition, to=Petition.Status.OPEN, by=agent)
    petition.closes_at = timezone.now() + dt.timedelta(days=60)
    petition.save(update_fields=["closes_at"])
    now = timezone.now()
    rows = []
    for i, (name, email, company, loss, hours, lines, confirmed) in enumerate(SIGNERS):
        canonical, domain = abuse.email_canonical(email)
        rows.append(
            Signature(
                petition=petition,
                name=name,
                email=email,
                email_canonical=canonical,
                email_domain=domain,
                company=company,
                language="fr",
                loss_amount=Decimal(loss),
                loss_currency="EUR",
                hours_without_service=hours,
                lines_affected=lines,
                wants_updates=i % 2 == 0,
                ip_hash=abuse.ip_hash(salt=petition.ip_salt, ip=f"192.0.2.{i + 10}"),
                confirmed_at=now - dt.timedelta(hours=i) if confirmed else None,
                dirty=confirmed,
            )
        )
    # Verified claims: French demo businesses whose Fixed e-mail was hit.
    affected = (
        Business.objects.filter(subscriptions__in=decisions.affected_subscriptions(incident=sfr))
        .distinct()
        .order_by("customer_number")[:4]
    )
    for j, business in enumerate(affected):
        contact = Contact.objects.filter(business=business).exclude(email="").first()
        email = contact.email if contact else f"office@{business.customer_number.lower()}.demo.example"
        canonical, domain = abuse.email_canonical(email)
        rows.append(
            Signature(
                petition=petition,
                name=contact.name if contact else business.company_name,
                email=email,
                email_canonical=canonical,
                email_domain=domain,
                company=business.company_name,
                customer_number=business.customer_number,
                business=business,
                verified_customer=True,
                language=business.language,
                loss_amount=Decimal(1500 + 1000 * j),
                loss_currency="EUR",
                hours_without_service=160,
                lines_affected=1 + j,
                confirmed_at=now - dt.timedelta(minutes=30 * j),
                dirty=True,
            )
        )
    Signature.objects.bulk_create(rows)
    # A duplicate attempt (same address with a +tag and capitals) is ignored by the constraint.
    services.petition_sign(
        petition=petition,
        name="Fabien H.",
        email="Fabien.H+encore@Atelier-H.example",
        loss_amount=Decimal("2400.00"),
        loss_currency="EUR",
        language="fr",
    )
    counting.tally_count()
    PetitionThreshold.objects.filter(petition=petition, reached_at__isnull=False).update(notified_at=now)
    return petition


def _compensation(*, swisscom: Incident, sfr: Incident) -> None:
    CompensationRule.objects.create(
        incident=swisscom,
        name="Swisscom 2018: geste commercial de 200 CHF",
        preset=CompensationRule.Preset.CUSTOM,
        params={"fixed_credit": "200"},
        effective_from=swisscom.started_at - dt.timedelta(days=1),
    )
    CompensationRule.objects.create(
        incident=sfr,
        name="SFR 2009: clause contractuelle 48 h (abonnement au prorata)",
        preset=CompensationRule.Preset.FRANCE_48H,
        effective_from=sfr.started_at - dt.timedelta(days=1),
    )
    decisions.compensation_propose(incident=swisscom)
    decisions.compensation_propose(incident=sfr)
    # The demo customer contact's business sees an offer in its portal, if it was hit.
    manager = get_user_model().objects.filter(username="manager").first()
    demo = CompensationDecision.objects.filter(business__customer_number="DEMO-00001").first()
    if demo and manager:
        decisions.decision_offer(decision=demo, by=manager)
