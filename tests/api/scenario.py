"""A small, complete world for the permission matrix and the schema run: one of everything the API exposes."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from complaints import services as complaint_services
from complaints.uploads import validate_evidence
from petitions import services as petition_services
from petitions import tokens as petition_tokens
from petitions.models import CompensationDecision
from tests.factories import IncidentFactory
from tracker.incidents import services as incident_services
from tracker.notifications.models import Delivery
from tracker.reports.models import ExportJob

from .factories import DeliveryFactory


@dataclass
class Scenario:
    incident: object
    suspected: object
    complaint: object
    primary: object
    duplicate: object
    delivery: object
    petition: object
    signature: object
    confirm_token: str
    decision_offered: object
    decision_proposed: object
    decision_awaiting: object
    export_job: object
    attachment: object
    proposed_petition: object


def build(world) -> Scenario:
    now = timezone.now()
    incident = incident_services.incident_declare(
        title="Business phone down",
        services=[world.service],
        regions=[world.region],
        started_at=now - dt.timedelta(hours=3),
        message="Calls fail.",
        language="en",
        notify=False,
    )
    suspected = IncidentFactory(status="suspected", declared_at=None, services=[world.service], regions=[world.region])

    def file(description, files=None):
        complaint, _created = complaint_services.complaint_file(
            files=files,
            contact=world.contact_a,
            subscription=world.subscription_a,
            category="no_dial_tone",
            since=now - dt.timedelta(hours=2),
            description=description,
            user=world.contact_a.user,
        )
        return complaint

    evidence = png_file("line-test.png")
    complaint = file("No dial tone on any line.", files=[(evidence, validate_evidence(evidence))])
    attachment = complaint.attachments.get()
    primary = file("Same problem, filed first.")
    duplicate = file("Filed twice by mistake.")
    complaint_services.complaint_mark_duplicate(complaint_id=duplicate.pk, actor=world.agent, primary=primary)

    delivery = DeliveryFactory(contact=world.contact_a, status=Delivery.Status.FAILED, last_error="timeout")

    petition = petition_services.petition_create(
        title="Compensation for the phone outage", text="We ask for a credit.", incidents=[incident]
    )
    petition = petition_services.petition_transition(petition=petition, to="open")
    outcome = petition_services.petition_sign(
        petition=petition,
        name="Claire Martin",
        email="claire@alpha.example",
        loss_amount=Decimal("100.00"),
        loss_currency="CHF",
    )
    signature = outcome.signature
    proposed_petition = petition_services.petition_create(
        title="Credit for the phone outage, please",
        text="Our lines were down all morning.",
        incidents=[incident],
        proposed_by=world.business_a,
        created_by=world.contact_a.user,
    )

    def decision(business, status, **extra):
        return CompensationDecision.objects.create(
            incident=incident,
            business=business,
            currency="CHF" if status != "proposed" else "EUR",
            proposed_amount=Decimal("40.00"),
            status=status,
            **extra,
        )

    decision_offered = decision(world.business_a, "offered", offered_amount=Decimal("40.00"), offered_at=now)
    decision_proposed = decision(world.business_b, "proposed")
    decision_awaiting = CompensationDecision.objects.create(
        incident=incident,
        business=world.business_b,
        currency="CHF",
        proposed_amount=Decimal("900.00"),
        offered_amount=Decimal("900.00"),
        offered_by=world.agent,
        status="awaiting",
    )
    world.manager.user_permissions.add(Permission.objects.get(codename="approve_compensationdecision"))

    relative = "exports/matrix-test.csv"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("reference\nC-1\n")
    export_job = ExportJob.objects.create(
        requester=world.manager,
        kind="complaints",
        format="csv",
        status=ExportJob.Status.DONE,
        file_path=relative,
        row_count=1,
        finished_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    return Scenario(
        incident=incident,
        suspected=suspected,
        complaint=complaint,
        primary=primary,
        duplicate=duplicate,
        delivery=delivery,
        petition=petition,
        signature=signature,
        confirm_token=petition_tokens.make(signature_id=signature.pk, action=petition_tokens.CONFIRM),
        decision_offered=decision_offered,
        decision_proposed=decision_proposed,
        decision_awaiting=decision_awaiting,
        export_job=export_job,
        attachment=attachment,
        proposed_petition=proposed_petition,
    )


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png_file(name: str = "evidence.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")
