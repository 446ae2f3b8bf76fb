"""The world of the per-role tests: two businesses, each with a plain contact and a business admin,
an agent and a manager (staff, second factor verified), and one of every private thing.

The API permission matrix's scenario (tests/api/scenario.py) provides most rows; this adds what
only pages serve: an evidence file, a complaint by a business admin, a signature with evidence,
an offer to each business, and an expired export.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import django_otp
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints import services as complaint_services
from petitions import services as petition_services
from petitions.models import CompensationDecision
from tests.api import scenario as api_scenario
from tests.factories import (
    BusinessFactory,
    ContactFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tracker.customers.roles import AGENT, MANAGER
from tracker.reports.models import ExportJob
from tracker.security.middleware import SESSION_ENROLLED

ROLES = ["anonymous", "contact_a", "admin_a", "contact_b", "admin_b", "agent", "manager"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    """Shaped like the API tests' world (tests/api/conftest.py), so its scenario builds on it."""

    service: object
    region: object
    business_a: object
    business_b: object
    subscription_a: object
    subscription_b: object
    contact_a: object
    admin_a: object
    contact_b: object
    admin_b: object
    agent: object
    manager: object

    def user(self, role: str):
        if role in ("agent", "manager"):
            return getattr(self, role)
        return getattr(self, role).user


@dataclass
class Things:
    base: object  # tests.api.scenario.Scenario: complaint (by contact_a), petition, signature, decisions, export
    evidence: object  # ComplaintAttachment of contact_a's complaint
    admin_complaint: object  # filed by A's business admin
    evidence_signature: object
    decision_b: object  # offered to business B
    expired_job: object


def _staff(username: str, group: str):
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


def build_world() -> World:
    service = ServiceFactory(slug="business-phone", name="Business phone")
    region = RegionFactory(code="CH-VD", name="Vaud")
    business_a = BusinessFactory(customer_number="CU-A", company_name="Alpha SA")
    business_b = BusinessFactory(customer_number="CU-B", company_name="Beta Sàrl")

    def contact(business, username, *, admin):
        return ContactFactory(business=business, user=UserFactory(username=username), is_business_admin=admin)

    return World(
        service=service,
        region=region,
        business_a=business_a,
        business_b=business_b,
        subscription_a=SubscriptionFactory(business=business_a, service=service, region=region),
        subscription_b=SubscriptionFactory(business=business_b, service=service, region=region),
        contact_a=contact(business_a, "alice", admin=False),
        admin_a=contact(business_a, "anne-admin", admin=True),
        contact_b=contact(business_b, "bob", admin=False),
        admin_b=contact(business_b, "bea-admin", admin=True),
        agent=_staff("agent", AGENT),
        manager=_staff("manager", MANAGER),
    )


def build_things(world: World) -> Things:
    base = api_scenario.build(world)
    now = timezone.now()

    evidence_complaint, _created = complaint_services.complaint_file(
        contact=world.contact_a,
        subscription=world.subscription_a,
        category="no_dial_tone",
        since=now - dt.timedelta(hours=2),
        description="Photo of the dead switchboard attached.",
        files=[(SimpleUploadedFile("switchboard.pdf", PDF, content_type="application/pdf"), "application/pdf")],
        user=world.contact_a.user,
    )
    admin_complaint, _created = complaint_services.complaint_file(
        contact=world.admin_a,
        subscription=world.subscription_a,
        category="no_dial_tone",
        since=now - dt.timedelta(hours=2),
        description="Filed by the office manager.",
        user=world.admin_a.user,
    )
    evidence_signature = petition_services.petition_sign(
        petition=base.petition,
        name="Anne Admin",
        email="anne@alpha.example",
        loss_amount=Decimal("250.00"),
        loss_currency="CHF",
        evidence=SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
    ).signature
    decision_b = CompensationDecision.objects.create(
        incident=base.suspected,
        business=world.business_b,
        currency="CHF",
        proposed_amount=Decimal("30.00"),
        offered_amount=Decimal("30.00"),
        offered_at=now,
        status="offered",
    )
    relative = "exports/expired-test.csv"
    (Path(settings.MEDIA_ROOT) / relative).write_text("reference\nC-2\n")
    expired_job = ExportJob.objects.create(
        requester=world.manager,
        kind="complaints",
        format="csv",
        status=ExportJob.Status.DONE,
        file_path=relative,
        row_count=1,
        finished_at=now - dt.timedelta(days=3),
        expires_at=now - dt.timedelta(days=1),
    )
    return Things(
        base=base,
        evidence=evidence_complaint.attachments.get(),
        admin_complaint=admin_complaint,
        evidence_signature=evidence_signature,
        decision_b=decision_b,
        expired_job=expired_job,
    )


_shared: list[Client] = []


def _client() -> Client:
    """One client for the whole run: each new one loads the middleware again (WhiteNoise scans static files)."""
    if not _shared:
        _shared.append(Client())
    return _shared[0]


def log_in_everyone(world: World) -> dict[str, dict]:
    """Session cookies per role; staff sessions carry a verified second factor, as after the verify page."""
    client = _client()
    cookies = {}
    for role in ROLES:
        client.cookies.clear()
        if role != "anonymous":
            user = world.user(role)
            client.force_login(user)
            if user.is_staff:
                session = client.session
                session[django_otp.DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
                session[SESSION_ENROLLED] = True
                session.save()
        cookies[role] = {name: morsel.value for name, morsel in client.cookies.items()}
    return cookies


def client_as(cookies: dict[str, dict], role: str) -> Client:
    client = _client()
    client.cookies.clear()
    for name, value in cookies[role].items():
        client.cookies[name] = value
    return client
