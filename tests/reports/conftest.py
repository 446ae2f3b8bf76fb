import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from complaints.models import Complaint
from tests.factories import (
    BusinessFactory,
    ContactFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
    UserFactory,
)
from tracker.customers.roles import MANAGER
from tracker.notifications.models import Delivery

from .factories import (
    DecisionFactory,
    DeliveryFactory,
    JobFactory,
    PetitionFactory,
    ReportComplaintFactory,
    ReportIncidentFactory,
    SignatureFactory,
    UpdateFactory,
)

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def manager(db):
    user = UserFactory(username="boss", email="boss@example.com")
    user.groups.add(Group.objects.get(name=MANAGER))
    return user


@pytest.fixture
def agent(db):
    return UserFactory(username="agent-smith", email="agent@example.com")


def _set(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def outage(db):
    """One incident with figures computed by hand (see test_selectors)."""
    service, region, other_region = ServiceFactory(), RegionFactory(), RegionFactory()
    other_service = ServiceFactory()
    incident = ReportIncidentFactory(
        title="E-mail down",
        services=[service],
        regions=[region],
        started_at=T0,
        declared_at=T0 + dt.timedelta(minutes=30),
        resolved_at=T0 + dt.timedelta(hours=6),
        status="resolved",
    )
    b1, b2 = BusinessFactory(), BusinessFactory()
    SubscriptionFactory(business=b1, service=service, region=region)
    SubscriptionFactory(business=b1, service=service, region=region, site_label="Second site")
    SubscriptionFactory(business=b2, service=service, region=region)
    SubscriptionFactory(service=service, region=other_region)  # another region: not affected
    SubscriptionFactory(service=other_service, region=region)  # another service: not affected
    c1a, c1b = ContactFactory(business=b1), ContactFactory(business=b1)
    c2 = ContactFactory(business=b2)

    def complaint(business, *, at, responded=None, closed=None, breached=False, loss=None, **extra):
        c = ReportComplaintFactory(
            business=business,
            service=service,
            region=region,
            incident=incident,
            loss_amount=loss,
            loss_currency="CHF" if loss else "",
            sla_breached=breached,
            status="resolved" if closed else "in_progress",
            **extra,
        )
        _set(
            Complaint,
            c.pk,
            created_at=at,
            first_responded_at=at + responded if responded else None,
            closed_at=at + closed if closed else None,
        )
        return c

    h = dt.timedelta(hours=1)
    m = dt.timedelta(minutes=1)
    complaint(b1, at=T0 + h, responded=10 * m, closed=2 * h, loss=Decimal("100.00"))
    complaint(b2, at=T0 + 90 * m, responded=30 * m, closed=4 * h, breached=True, loss=Decimal("50.00"))
    complaint(b1, at=T0 + 3 * h, responded=60 * m, site_label='=HYPERLINK("http://evil")')
    # Not linked to the incident.
    unlinked = ReportComplaintFactory(business=b2, service=service, region=region)
    _set(Complaint, unlinked.pk, created_at=T0 + 2 * h)

    declared = incident.declared_at
    update = UpdateFactory(incident=incident, published_at=declared)
    job = update.notification_job
    for contact, channel, status, after in [
        (c1a, "email", Delivery.Status.SENT, 60),
        (c1a, "sms", Delivery.Status.SENT, 120),
        (c1b, "email", Delivery.Status.SENT, 300),
        (c2, "email", Delivery.Status.FAILED, None),
    ]:
        d = DeliveryFactory(job=job, contact=contact, channel=channel, status=status)
        _set(
            Delivery,
            d.pk,
            created_at=declared,
            sent_at=declared + dt.timedelta(seconds=after) if after else None,
        )
    # Another job (not about this incident).
    DeliveryFactory(job=JobFactory(kind="complaint.status"), contact=c2)

    petition = PetitionFactory(incidents=[incident])
    SignatureFactory(petition=petition, loss_amount=Decimal("1000.00"))
    SignatureFactory(petition=petition, loss_amount=Decimal("500.00"))
    SignatureFactory(petition=petition, loss_amount=Decimal("999.00"), confirmed_at=None)
    SignatureFactory(petition=petition, loss_amount=Decimal("999.00"), withdrawn_at=T0)
    SignatureFactory(loss_amount=Decimal("777.00"))  # another petition

    DecisionFactory(
        incident=incident,
        business=b1,
        claimed_amount=Decimal("100.00"),
        proposed_amount=Decimal("120.00"),
        offered_amount=Decimal("120.00"),
        status="accepted",
    )
    DecisionFactory(
        incident=incident,
        business=b2,
        claimed_amount=Decimal("50.00"),
        proposed_amount=Decimal("60.00"),
        offered_amount=Decimal("80.00"),
        status="offered",
    )
    DecisionFactory(proposed_amount=Decimal("5.00"))  # another incident
    return incident
