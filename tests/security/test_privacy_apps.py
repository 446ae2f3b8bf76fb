"""GDPR across the apps: complaints, petitions and report exports export, erase and retain their personal data."""

import datetime as dt
import json
import os
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintEvent
from complaints.privacy import complaints_retain, erased_marker
from petitions.abuse import email_canonical
from petitions.counting import tally_count
from petitions.models import CompensationDecision, Petition, PetitionTally, Signature
from tests.complaints.factories import ComplaintFactory
from tests.factories import ContactFactory, SubscriptionFactory, UserFactory
from tests.petitions.factories import PetitionFactory, SignatureFactory
from tests.security.pii import find_everywhere, find_in_files
from tracker.notifications.models import Delivery, NotificationJob
from tracker.reports.models import ExportJob, ExportLog
from tracker.reports.privacy import exports_retain
from tracker.reports.selectors import ReportFilters, incident_list, report_figures
from tracker.reports.services import export_job_run
from tracker.security import privacy

pytestmark = pytest.mark.django_db
EMAIL = "anna.muster@example.ch"
PHONE = "+41791234567"
PDF = b"%PDF-1.4\n"


def _pdf(name: str, text: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + text.encode(), content_type="application/pdf")


def _export(user, kind: str, fmt: str = "csv") -> ExportJob:
    job = ExportJob.objects.create(requester=user, kind=kind, format=fmt)
    ExportLog.objects.create(user=user, username=user.get_username(), kind=kind, format=fmt, via="web", job=job)
    return export_job_run(job_id=job.pk)


@pytest.fixture
def agent():
    return UserFactory(username="agent-smith", is_staff=True)


@pytest.fixture
def manager():
    return UserFactory(username="boss", email="boss@example.com")


@pytest.fixture
def anna(agent, django_capture_on_commit_callbacks):
    """A contact present in every app: complaint with evidence, replies, signatures, a decision, deliveries."""
    with django_capture_on_commit_callbacks(execute=True):  # the notifications of the complaint go out
        return _anna(agent)


def _anna(agent):
    user = UserFactory(username=EMAIL, email=EMAIL)
    subscription = SubscriptionFactory()
    contact = ContactFactory(business=subscription.business, name="Anna Muster", email=EMAIL, phone=PHONE, user=user)
    complaint, _created = complaint_services.complaint_file(
        contact=contact,
        subscription=subscription,
        category="no_dial_tone",
        since=timezone.now() - dt.timedelta(hours=3),
        description=f"No dial tone. Call me on {PHONE} or write to {EMAIL}.",
        loss_amount=Decimal("1200.00"),
        loss_currency="CHF",
        files=[(_pdf(f"invoice {EMAIL}.pdf", f"Invoice for {EMAIL}"), "application/pdf")],
        user=user,
    )
    complaint_services.complaint_reply(complaint_id=complaint.pk, actor=agent, body=f"We will call {PHONE} today.")
    complaint_services.complaint_customer_reply(
        complaint_id=complaint.pk, contact=contact, user=user, body=f"Thanks, or mail {EMAIL}."
    )
    # A colleague's complaint quotes Anna's number.
    colleague = ContactFactory(business=subscription.business, email="boss@muster.example")
    ComplaintFactory(
        business=subscription.business,
        contact=colleague,
        subscription=subscription,
        description=f"Same here; ask Anna ({PHONE}).",
        loss_amount=Decimal("300.00"),
        loss_currency="CHF",
    )

    petition = PetitionFactory()
    canonical, domain = email_canonical("Anna.Muster+claims@example.ch")
    SignatureFactory(
        petition=petition,
        name="Anna Muster",
        email="Anna.Muster+claims@example.ch",
        email_canonical=canonical,
        email_domain=domain,
        company="Muster GmbH",
        ip_hash="a" * 64,
        evidence=_pdf("losses.pdf", f"Signed by {EMAIL}, {PHONE}"),
        loss_amount=Decimal("500.00"),
        confirmed=True,
    )
    SignatureFactory(petition=petition, loss_amount=Decimal("70.00"), confirmed=True)  # someone else
    SignatureFactory(petition=PetitionFactory(), name="Anna M.", email=EMAIL, email_canonical=EMAIL, confirmed=True)
    tally_count()
    CompensationDecision.objects.create(
        incident=petition.incidents.get(),
        business=subscription.business,
        currency="CHF",
        proposed_amount=Decimal("100.00"),
        offered_amount=Decimal("150.00"),
        status=CompensationDecision.Status.ACCEPTED,
        business_comment=f"Accepted; questions to {PHONE}.",
        answered_by=user,
        answered_at=timezone.now(),
    )
    job = NotificationJob.objects.create(kind="incident.update", params={"incident_id": 1})
    Delivery.objects.create(job=job, contact=contact, channel="email", status="failed", last_error=f"550 {EMAIL}")
    return contact


def _figures():
    filters = ReportFilters()
    return asdict(report_figures(filters=filters)), list(
        incident_list(filters=filters).values("pk", "complaint_count", "signature_count")
    )


def test_export_holds_complaints_signatures_decisions_and_exports(anna, manager):
    other = ContactFactory(business=anna.business, email="other@example.ch")
    ComplaintFactory(business=anna.business, contact=other, description="Not Anna's")
    _export(anna.user, "complaints")

    sections = privacy.contact_export(contact=anna)["sections"]

    [complaint] = sections["complaints"]["complaints"]
    assert complaint["description"] == f"No dial tone. Call me on {PHONE} or write to {EMAIL}."
    assert (complaint["status"], complaint["category"], complaint["loss_amount"], complaint["loss_currency"]) == (
        "new",
        "no_dial_tone",
        "1200.00",
        "CHF",
    )
    assert complaint["evidence"] == [f"invoice {EMAIL}.pdf"]
    assert [(m["from"], m["text"]) for m in complaint["messages"]] == [
        ("operator", f"We will call {PHONE} today."),
        ("you", f"Thanks, or mail {EMAIL}."),
    ]
    assert sections["complaints"]["replies_on_other_complaints"] == []
    signatures = sections["petitions"]["signatures"]
    assert sorted((s["email"], s["loss_amount"], s["company"]) for s in signatures) == [
        ("Anna.Muster+claims@example.ch", "500.00", "Muster GmbH"),
        (EMAIL, "100.00", ""),
    ]
    assert {s["evidence"] for s in signatures} == {"losses.pdf", ""}
    [answer] = sections["petitions"]["compensation_answers"]
    assert (answer["status"], answer["offered_amount"], answer["comment"]) == (
        "accepted",
        "150.00",
        f"Accepted; questions to {PHONE}.",
    )
    assert [(e["data"], e["rows"]) for e in sections["exports"]] == [("complaints", 3)]
    assert "Not Anna's" not in json.dumps(sections)


def test_erasure_leaves_no_email_or_phone_anywhere_and_keeps_the_report_figures(
    anna, manager, settings, django_capture_on_commit_callbacks
):
    deliveries_export = _export(manager, "deliveries")
    deliveries_xlsx = _export(manager, "deliveries", "xlsx")
    complaints_export = _export(manager, "complaints")
    media = Path(settings.MEDIA_ROOT)
    assert EMAIL.encode() in (media / deliveries_export.file_path).read_bytes()
    # Complaint evidence, signature evidence and both deliveries exports.
    assert len(find_in_files(EMAIL)) == 4
    assert len(find_everywhere(EMAIL, PHONE)) >= 12
    figures_before = _figures()
    tally_before = list(PetitionTally.objects.order_by("pk").values("confirmed", "verified", "losses"))

    with django_capture_on_commit_callbacks(execute=True):
        privacy.contact_erase(contact=anna)

    assert find_everywhere(EMAIL, PHONE, PHONE[1:], "Anna.Muster+claims", "Muster GmbH", "a" * 64) == []
    assert _figures() == figures_before
    tally_count()
    assert list(PetitionTally.objects.order_by("pk").values("confirmed", "verified", "losses")) == tally_before
    # The export with personal columns is gone and can be run again; the business-only one stays.
    for job in (deliveries_export, deliveries_xlsx):
        job.refresh_from_db()
        assert (job.status, job.file_path) == (ExportJob.Status.EXPIRED, "")
    complaints_export.refresh_from_db()
    assert complaints_export.status == ExportJob.Status.DONE
    assert (media / complaints_export.file_path).is_file()


def test_erasure_replaces_what_the_contact_wrote_and_keeps_the_rest(anna, agent, django_capture_on_commit_callbacks):
    marker = erased_marker()
    complaint = Complaint.objects.get(contact=anna)
    [attachment] = complaint.attachments.all()
    storage = attachment.file.storage
    assert storage.exists(attachment.file.name)
    colleague_complaint = Complaint.objects.exclude(pk=complaint.pk).get()

    with django_capture_on_commit_callbacks(execute=True):
        privacy.contact_erase(contact=anna)

    complaint.refresh_from_db()
    assert (complaint.description, complaint.contact_id, complaint.loss_amount, complaint.status) == (
        marker,
        anna.pk,
        Decimal("1200.00"),
        "new",
    )
    attachment.refresh_from_db()
    assert attachment.original_name == marker
    assert not storage.exists(attachment.file.name)
    bodies = dict(complaint.events.values_list("kind", "body"))
    assert bodies[ComplaintEvent.Kind.CUSTOMER_REPLY] == marker
    # The operator's reply stays, without the number it quoted.
    assert bodies[ComplaintEvent.Kind.REPLY] == f"We will call {marker} today."
    colleague_complaint.refresh_from_db()
    assert colleague_complaint.description == f"Same here; ask Anna ({marker})."
    signature = Signature.objects.get(loss_amount=Decimal("500.00"))
    assert (signature.name, signature.email, signature.company, signature.ip_hash, signature.evidence.name) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert signature.confirmed_at is not None and signature.anonymised_at is not None
    assert Signature.objects.get(loss_amount=Decimal("70.00")).email.startswith("signer")  # someone else's
    decision = CompensationDecision.objects.get()
    assert (decision.business_comment, decision.offered_amount) == ("", Decimal("150.00"))


def test_erasure_of_a_contact_without_login_or_address_touches_nobody_else(anna, django_capture_on_commit_callbacks):
    bare = ContactFactory(business=anna.business, email="", phone="", user=None)
    ComplaintFactory(business=anna.business, contact=bare, description="Bare complaint")

    with django_capture_on_commit_callbacks(execute=True):
        privacy.contact_erase(contact=bare)

    assert Complaint.objects.get(contact=bare).description == erased_marker()
    assert Complaint.objects.get(contact=anna).description.startswith("No dial tone. Call me on +41")
    assert Signature.objects.filter(email__icontains="anna").count() == 2


# --- Retention ------------------------------------------------------------------------


def _close(complaint: Complaint, *, days_ago: int) -> Complaint:
    closed_at = timezone.now() - dt.timedelta(days=days_ago)
    Complaint.objects.filter(pk=complaint.pk).update(status="resolved", closed_at=closed_at)
    return complaint


def test_complaint_retention_erases_old_closed_complaints_text_and_files(
    settings, agent, django_capture_on_commit_callbacks
):
    settings.COMPLAINTS_RETENTION_DAYS = 365
    old = ComplaintFactory(description="Call Bob on 079 555 12 12", loss_amount=Decimal("90.00"), loss_currency="CHF")
    complaint_services.complaint_note(complaint_id=old.pk, actor=agent, body="Bob is angry")
    [attachment] = complaint_services.complaint_add_evidence(
        complaint_id=old.pk, files=[(_pdf("bob.pdf"), "application/pdf")], user=agent
    )
    _close(old, days_ago=400)
    recent = _close(ComplaintFactory(description="Recent"), days_ago=300)
    still_open = ComplaintFactory(description="Open for long")
    Complaint.objects.filter(pk=still_open.pk).update(created_at=timezone.now() - dt.timedelta(days=900))
    marker = erased_marker()

    with django_capture_on_commit_callbacks(execute=True):
        touched = complaints_retain(timezone.now())

    assert touched == 1
    old.refresh_from_db()
    assert (old.description, old.loss_amount, old.status) == (marker, Decimal("90.00"), "resolved")
    assert set(old.events.exclude(body="").values_list("body", flat=True)) == {marker}
    assert old.events.get(kind=ComplaintEvent.Kind.FILE).data == {"files": [marker]}
    attachment.refresh_from_db()
    assert attachment.original_name == marker
    assert not attachment.file.storage.exists(attachment.file.name)
    assert Complaint.objects.get(pk=recent.pk).description == "Recent"
    assert Complaint.objects.get(pk=still_open.pk).description == "Open for long"
    assert complaints_retain(timezone.now()) == 0  # already done


def test_petition_retention_is_the_after_close_anonymisation(settings, django_capture_on_commit_callbacks):
    settings.PETITIONS_ANONYMISE_AFTER_DAYS = 90
    closed_long_ago = PetitionFactory(status=Petition.Status.CLOSED, closes_at=timezone.now() - dt.timedelta(days=91))
    SignatureFactory(petition=closed_long_ago, email="old@example.ch", confirmed=True)
    recently_closed = PetitionFactory(status=Petition.Status.CLOSED, closes_at=timezone.now() - dt.timedelta(days=10))
    SignatureFactory(petition=recently_closed, email="new@example.ch", confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        done = privacy.retention_apply()

    assert done["petitions"] == 1
    assert list(Signature.objects.order_by("email").values_list("email", flat=True)) == ["", "new@example.ch"]


def test_export_retention_deletes_old_and_stray_files(settings, manager, django_capture_on_commit_callbacks):
    settings.EXPORT_RETENTION_DAYS = 30
    old, recent = _export(manager, "complaints"), _export(manager, "signatures")
    ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    exports = Path(settings.MEDIA_ROOT) / "exports"
    stray_old, stray_new = exports / "left-by-a-crash.csv", exports / "being-written.csv"
    for path in (stray_old, stray_new):
        path.write_text("name\nAnna")
    long_ago = (timezone.now() - dt.timedelta(days=40)).timestamp()
    os.utime(stray_old, (long_ago, long_ago))
    old_file = exports.parent / old.file_path

    with django_capture_on_commit_callbacks(execute=True):
        removed = exports_retain(timezone.now())

    assert removed == 2
    assert not old_file.exists() and not stray_old.exists()
    assert stray_new.exists() and (exports.parent / recent.file_path).exists()
    old.refresh_from_db()
    assert (old.status, old.file_path) == (ExportJob.Status.EXPIRED, "")
    assert ExportJob.objects.get(pk=recent.pk).status == ExportJob.Status.DONE


def test_every_app_registers_its_sections():
    names = {section.name: section for section in privacy.sections()}

    assert {"complaints", "petitions", "exports"} <= names.keys()
    assert all(names[name].retain is not None for name in ("complaints", "petitions", "exports"))
    # The apps run before the core, so they still find rows by the contact's address.
    order = [section.name for section in privacy.sections()]
    assert order.index("complaints") < order.index("contact")


def test_export_of_the_apps_costs_the_same_queries_at_2_and_4_complaints_and_signatures(anna):
    def add_rows():
        for _ in range(2):
            ComplaintFactory(business=anna.business, contact=anna)
            SignatureFactory(email=EMAIL, email_canonical=EMAIL, confirmed=True)

    add_rows()
    with CaptureQueriesContext(connection) as few:
        privacy.contact_export(contact=anna)
    add_rows()
    with CaptureQueriesContext(connection) as more:
        sections = privacy.contact_export(contact=anna)["sections"]

    assert (len(sections["complaints"]["complaints"]), len(sections["petitions"]["signatures"])) == (5, 6)
    assert len(more) == len(few)


def test_downloaded_json_holds_the_apps_sections(client, anna):
    client.force_login(anna.user)

    response = client.get(reverse("security:privacy_export"))

    sections = response.json()["sections"]
    assert {"complaints", "petitions", "exports"} <= sections.keys()
    assert sections["complaints"]["complaints"][0]["evidence"] == [f"invoice {EMAIL}.pdf"]
