"""Every list endpoint runs the same number of queries for N and 2N rows (no query per row)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Complaint
from petitions.models import CompensationDecision, Petition, PetitionTally, Signature
from tests.factories import IncidentFactory
from tracker.reports.models import ExportJob

from .factories import DeliveryFactory

N = 4


def add_incidents(world, n):
    for _ in range(n):
        IncidentFactory(services=[world.service], regions=[world.region])


def add_complaints(world, n):
    now = timezone.now()
    for _ in range(n):
        complaint = Complaint.objects.create(
            business=world.business_a,
            contact=world.contact_a,
            subscription=world.subscription_a,
            service=world.service,
            region=world.region,
            category="no_dial_tone",
            since=now - dt.timedelta(hours=1),
            description="No tone",
            assignee=world.agent,
        )
        complaint.reference = f"C-2026-{complaint.pk:06d}"
        complaint.save(update_fields=["reference"])


def add_deliveries(world, n):
    for _ in range(n):
        DeliveryFactory(contact=world.contact_a)


def add_petitions(world, n):
    incident = IncidentFactory(services=[world.service], regions=[world.region])
    for _ in range(n):
        petition = Petition.objects.create(
            slug=f"p-{Petition.objects.count()}", title="Claim", text="Text", status=Petition.Status.OPEN
        )
        petition.incidents.set([incident])
        PetitionTally.objects.create(petition=petition, confirmed=3)


def add_signatures(world, n):
    petition = Petition.objects.first() or Petition.objects.create(
        slug="sig", title="Claim", text="Text", status=Petition.Status.OPEN
    )
    start = Signature.objects.count()
    for i in range(start, start + n):
        Signature.objects.create(
            petition=petition,
            name=f"Signer {i}",
            email=f"s{i}@example.com",
            email_canonical=f"s{i}@example.com",
            email_domain="example.com",
            business=world.business_a,
        )


def add_decisions(world, n):
    for _ in range(n):
        incident = IncidentFactory(services=[world.service], regions=[world.region])
        CompensationDecision.objects.create(
            incident=incident,
            business=world.business_a,
            currency="CHF",
            proposed_amount=Decimal("10.00"),
            offered_amount=Decimal("10.00"),
            status="offered",
            offered_at=timezone.now(),
        )


def add_exports(world, n):
    for _ in range(n):
        ExportJob.objects.create(requester=world.manager, kind="complaints", format="csv")


def add_subscriptions(world, n):
    from tests.factories import SubscriptionFactory

    for _ in range(n):
        SubscriptionFactory(business=world.business_a, service=world.service, region=world.region)


# (url, role, rows) ; role "anonymous" has no authentication queries.
LISTS = {
    "incidents-public": ("/api/incidents/", "anonymous", add_incidents),
    "incidents-staff": ("/api/incidents/?status=investigating&ordering=-started_at", "agent", add_incidents),
    "complaints-contact": ("/api/complaints/", "contact_a", add_complaints),
    "complaints-staff": ("/api/complaints/?status=new&service=business-phone", "agent", add_complaints),
    "deliveries": ("/api/deliveries/?status=sent", "agent", add_deliveries),
    "petitions": ("/api/petitions/", "anonymous", add_petitions),
    "petitions-staff": ("/api/petitions/?status=open&status=pending", "agent", add_petitions),
    "signatures": ("/api/signatures/", "agent", add_signatures),
    "decisions-contact": ("/api/compensation-decisions/", "contact_a", add_decisions),
    "decisions-staff": ("/api/compensation-decisions/", "manager", add_decisions),
    "exports": ("/api/exports/", "manager", add_exports),
    "subscriptions-contact": ("/api/subscriptions/", "contact_a", add_subscriptions),
    "subscriptions-staff": ("/api/subscriptions/?business=CU-A", "agent", add_subscriptions),
}


def _count(world, url, role) -> tuple[int, int]:
    client = world.client(role)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("name", sorted(LISTS))
def test_list_queries_do_not_grow_with_rows(world, name):
    url, role, add_rows = LISTS[name]
    world.client(role).get("/api/incidents/")  # warm-up: the token's last_used_at is written once a minute

    add_rows(world, N)
    queries_n, rows_n = _count(world, url, role)
    add_rows(world, N)
    queries_2n, rows_2n = _count(world, url, role)

    already = 1 if name.startswith("subscriptions") else 0  # business A's subscription of the world
    assert (rows_n, rows_2n) == (N + already, 2 * N + already)
    assert queries_2n == queries_n
    assert queries_n == EXPECTED_QUERIES[name]


# A token costs 1 query (token and user); staff add 1 (their groups), contacts 1 (their contact row).
EXPECTED_QUERIES = {
    "incidents-public": 3,  # incidents, their services, their regions
    "incidents-staff": 5,  # token, groups, incidents, services, regions
    "complaints-contact": 3,  # token, contact, complaints (joined)
    "complaints-staff": 3,  # token, groups, complaints (joined)
    "deliveries": 3,
    "petitions": 2,  # petitions with their tally, their incidents
    "petitions-staff": 4,  # token, groups, petitions of every status with their tally, their incidents
    "signatures": 3,
    "decisions-contact": 3,
    "decisions-staff": 3,
    "exports": 3,
    "subscriptions-contact": 3,
    "subscriptions-staff": 3,
}
