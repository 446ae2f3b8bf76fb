"""Demo incidents: the two stories, with their updates, corrections and restoration, through the services.

Swisscom, June 2018: a nationwide Business phone outage from 09:00 to 10:15, first
titled "Business Connect outage" and corrected in the open. SFR, February 2009:
Fixed e-mail down in France for a week, declared late, restored by thirds.
The notification jobs are created by the services; `make run`'s worker sends them.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from tracker.customers.models import Region, Service

from . import services
from .models import Incident

ZURICH = ZoneInfo("Europe/Zurich")
PARIS = ZoneInfo("Europe/Paris")
SWISSCOM_START = dt.datetime(2018, 6, 5, 9, 0, tzinfo=ZURICH)
SFR_START = dt.datetime(2009, 2, 24, 20, 0, tzinfo=PARIS)


def seed(*, stdout) -> None:
    author = get_user_model().objects.filter(username="agent").first()
    made = []
    if not Incident.objects.filter(started_at=SWISSCOM_START).exists():
        made.append(_swisscom(author))
    if not Incident.objects.filter(started_at=SFR_START).exists():
        made.append(_sfr(author))
    if made:
        stdout.write(f"  incidents: {', '.join(i.title for i in made)}")
    else:
        stdout.write("  incidents: already there")


def _at(day: dt.datetime, hour: int, minute: int = 0) -> dt.datetime:
    return day.replace(hour=hour, minute=minute)


def _swisscom(author) -> Incident:
    day = SWISSCOM_START
    phone = Service.objects.get(slug="business-phone")
    incident = services.incident_declare(
        title="Business Connect outage",
        services=[phone],
        regions=Region.objects.filter(country="CH"),
        severity=Incident.Severity.CRITICAL,
        started_at=day,
        detected_at=_at(day, 9, 3),
        declared_at=_at(day, 9, 10),
        message="Business Connect : les appels ne peuvent être ni passés ni reçus. Nous analysons la panne.",
        language="fr",
        translations={
            "de": "Business Connect: Anrufe können weder getätigt noch empfangen werden. Wir analysieren die Störung.",
            "it": "Business Connect: non è possibile effettuare né ricevere chiamate. Stiamo analizzando il guasto.",
            "en": "Business Connect: calls can be neither made nor received. We are analysing the outage.",
        },
        next_update_due_at=_at(day, 9, 45),
        author=author,
    )
    services.incident_update_publish(
        incident=incident,
        status=Incident.Status.IDENTIFIED,
        message=(
            "La cause est identifiée dans le réseau central : tous les clients fixes, privés et entreprises, "
            "sont touchés dans toute la Suisse, pas seulement Business Connect."
        ),
        language="fr",
        translations={
            "de": "Die Ursache liegt im Kernnetz: alle Festnetzkunden in der ganzen Schweiz sind betroffen, "
            "nicht nur Business Connect.",
            "it": "La causa è nella rete centrale: tutti i clienti di rete fissa in Svizzera sono toccati, "
            "non solo Business Connect.",
            "en": "The cause is in the core network: every fixed-line customer in Switzerland is affected, "
            "not only Business Connect.",
        },
        restored_percent=0,
        next_update_due_at=_at(day, 10, 30),
        published_at=_at(day, 9, 40),
        author=author,
    )
    services.incident_correct(
        incident=incident,
        changes={"title": "Nationwide telephony outage"},
        notify=True,
        corrected_at=_at(day, 10, 5),
        author=author,
    )
    services.incident_update_publish(
        incident=incident,
        status=Incident.Status.MONITORING,
        message="Le service revient progressivement.",
        language="fr",
        translations={
            "de": "Der Dienst kehrt schrittweise zurück.",
            "it": "Il servizio torna progressivamente.",
            "en": "Service is coming back step by step.",
        },
        restored_percent=80,
        next_update_due_at=_at(day, 10, 30),
        published_at=_at(day, 10, 10),
        author=author,
    )
    services.incident_resolve(
        incident=incident,
        resolved_at=_at(day, 10, 15),
        message="La panne est résolue depuis 10 h 15. Nous vous prions de nous excuser.",
        language="fr",
        translations={
            "de": "Die Störung ist seit 10.15 Uhr behoben. Wir entschuldigen uns.",
            "it": "Il guasto è risolto dalle 10.15. Ci scusiamo.",
            "en": "The outage has been resolved since 10:15. We apologise.",
        },
        author=author,
    )
    incident.refresh_from_db()
    return incident


def _sfr(author) -> Incident:
    email = Service.objects.get(slug="fixed-email")
    regions = list(Region.objects.filter(country="FR"))
    # Complaints came in from the next morning; nothing was declared for almost a week.
    incident = services.incident_suspect(
        title="Messagerie fixe : réception des e-mails impossible",
        services=[email],
        regions=regions,
        started_at=SFR_START,
        detected_at=dt.datetime(2009, 2, 25, 9, 0, tzinfo=PARIS),
        severity=Incident.Severity.MAJOR,
    )
    steps = [
        (
            dt.datetime(2009, 3, 2, 19, 0, tzinfo=PARIS),
            Incident.Status.IDENTIFIED,
            33,
            "La migration de la plate-forme de messagerie empêche la réception des e-mails depuis mardi soir. "
            "Un tiers des clients touchés reçoit de nouveau ses e-mails. Le contenu des boîtes n'est pas touché.",
            "Since Tuesday evening, the mail platform migration stops e-mail from being received. A third of the "
            "affected customers receive e-mail again. Mailbox contents are not affected.",
        ),
        (
            dt.datetime(2009, 3, 4, 12, 0, tzinfo=PARIS),
            Incident.Status.MONITORING,
            66,
            "Deux tiers des clients touchés reçoivent de nouveau leurs e-mails.",
            "Two thirds of the affected customers receive e-mail again.",
        ),
    ]
    for when, status, percent, text_fr, text_en in steps:
        services.incident_update_publish(
            incident=incident,
            status=status,
            message=text_fr,
            language="fr",
            translations={"en": text_en},
            restored_percent=percent,
            next_update_due_at=when + dt.timedelta(days=2),
            published_at=when,
            author=author,
        )
    paris = next((r for r in regions if r.code == "FR-75"), None)
    if paris is not None:
        services.incident_restoration_record(
            incident=incident, percent=90, region=paris, recorded_at=dt.datetime(2009, 3, 5, 9, 0, tzinfo=PARIS)
        )
    services.incident_resolve(
        incident=incident,
        resolved_at=dt.datetime(2009, 3, 6, 18, 0, tzinfo=PARIS),
        message="Tous les clients reçoivent de nouveau leurs e-mails.",
        language="fr",
        translations={"en": "Every customer receives e-mail again."},
        author=author,
    )
    incident.refresh_from_db()
    return incident
