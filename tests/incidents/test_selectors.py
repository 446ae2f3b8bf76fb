"""Reads: the audience is exactly the affected contacts; lists stay at constant queries."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    BusinessFactory,
    ContactFactory,
    IncidentFactory,
    RegionFactory,
    ServiceFactory,
    SubscriptionFactory,
)
from tests.incidents.factories import StatusSubscriptionFactory
from tracker.incidents import selectors
from tracker.notifications.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    phone, email = ServiceFactory(slug="business-phone"), ServiceFactory(slug="fixed-email")
    vaud, geneva, zurich = RegionFactory(code="CH-VD"), RegionFactory(code="CH-GE"), RegionFactory(code="CH-ZH")
    incident = IncidentFactory(services=[phone], regions=[vaud, geneva])
    return phone, email, vaud, geneva, zurich, incident


def test_audience_is_exactly_the_affected_contacts(world):
    phone, email, vaud, geneva, zurich, incident = world
    # Given a business in each affected region, one with two sites, and businesses that are not affected
    affected_a, affected_b = BusinessFactory(), BusinessFactory()
    SubscriptionFactory(business=affected_a, service=phone, region=vaud)
    SubscriptionFactory(business=affected_a, service=phone, region=geneva)
    SubscriptionFactory(business=affected_b, service=phone, region=geneva)
    a1, a2 = ContactFactory(business=affected_a), ContactFactory(business=affected_a)
    b1 = ContactFactory(business=affected_b)
    other_service = BusinessFactory()
    SubscriptionFactory(business=other_service, service=email, region=vaud)
    ContactFactory(business=other_service)
    other_region = BusinessFactory()
    SubscriptionFactory(business=other_region, service=phone, region=zurich)
    ContactFactory(business=other_region)
    # ...and visitors: confirmed and affected, unconfirmed, confirmed elsewhere
    visitor = StatusSubscriptionFactory(service=phone, region=vaud).contact
    StatusSubscriptionFactory(service=phone, region=geneva, confirmed_at=None)
    StatusSubscriptionFactory(service=phone, region=zurich)
    # a business contact who also subscribed as a visitor is told once
    StatusSubscriptionFactory(contact=a1, service=phone, region=vaud)

    audience = selectors.incident_audience(incident=incident)

    assert sorted(audience.values_list("pk", flat=True)) == sorted([a1.pk, a2.pk, b1.pk, visitor.pk])


def test_audience_counts_by_channel(world, django_assert_num_queries):
    phone, _email, vaud, _geneva, _zurich, incident = world
    business = BusinessFactory()
    SubscriptionFactory(business=business, service=phone, region=vaud)
    ContactFactory(business=business, wants_email=True, wants_sms=True)
    ContactFactory(business=business, wants_email=True, wants_sms=False)
    ContactFactory(business=business, wants_email=False, wants_sms=True)
    ContactFactory(business=business, wants_email=True, unsubscribed_at=timezone.now())
    WebhookEndpoint.objects.create(business=business, url="https://hooks.example.com/x")

    with django_assert_num_queries(2):
        counts = selectors.incident_audience_counts(incident=incident)

    assert (counts.total, counts.email, counts.sms, counts.webhook) == (4, 2, 2, 1)


def test_public_list_constant_queries(django_assert_num_queries):
    def make(n):
        for _ in range(n):
            IncidentFactory(services=[ServiceFactory(), ServiceFactory()], regions=[RegionFactory()])

    make(5)
    with django_assert_num_queries(3):
        assert len(selectors.incident_list_public()) == 5
    make(5)
    with django_assert_num_queries(3):
        assert len(selectors.incident_list_public()) == 10


def test_undeclared_incidents_are_not_public():
    IncidentFactory(declared_at=None, status="suspected")
    assert selectors.incident_list_public() == []


def test_service_uptime_from_incident_times(django_assert_num_queries):
    phone, _email = ServiceFactory(name="A phone"), ServiceFactory(name="B e-mail")
    now = timezone.make_aware(dt.datetime(2026, 3, 10, 12, 0))
    # Two overlapping incidents on the 8th, 06:00-12:00 and 09:00-18:00: down 12 of 24 hours
    day = timezone.make_aware(dt.datetime(2026, 3, 8))
    IncidentFactory(services=[phone], started_at=day + dt.timedelta(hours=6), resolved_at=day + dt.timedelta(hours=12))
    IncidentFactory(services=[phone], started_at=day + dt.timedelta(hours=9), resolved_at=day + dt.timedelta(hours=18))

    with django_assert_num_queries(3):
        rows = selectors.service_uptime(days=3, now=now)

    phone_row, email_row = rows
    assert phone_row.service == phone
    assert [(d.date.day, d.percent, d.level) for d in phone_row.days] == [
        (8, 50.0, "bad"),
        (9, 100.0, "ok"),
        (10, 100.0, "ok"),
    ]
    # 12 hours down over 2.5 days observed
    assert phone_row.percent == 80.0
    assert [d.percent for d in email_row.days] == [100.0, 100.0, 100.0]


def test_incidents_affecting_line_and_overdue(world):
    from tests.factories import VoiceLineFactory

    phone, _email, vaud, _geneva, zurich, incident = world
    affected = VoiceLineFactory(subscription=SubscriptionFactory(service=phone, region=vaud))
    unaffected = VoiceLineFactory(subscription=SubscriptionFactory(service=phone, region=zurich))
    assert selectors.incidents_affecting_line(voice_line=affected) == [incident]
    assert selectors.incidents_affecting_line(voice_line=unaffected) == []
    incident.next_update_due_at = timezone.now() - dt.timedelta(minutes=1)
    incident.save()
    assert list(selectors.incidents_overdue_for_update()) == [incident]
