"""Factories of the complaints app."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from complaints.models import Complaint, ComplaintSpike
from tests import factories
from tests.factories import BusinessFactory, ContactFactory, RegionFactory, ServiceFactory, SubscriptionFactory


class ComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    business = factory.SubFactory(BusinessFactory)
    contact = factory.SubFactory(ContactFactory, business=factory.SelfAttribute("..business"))
    subscription = factory.SubFactory(SubscriptionFactory, business=factory.SelfAttribute("..business"))
    service = factory.SelfAttribute("subscription.service")
    region = factory.SelfAttribute("subscription.region")
    site_label = "Main office"
    category = "cannot_receive_email"
    since = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    description = "No e-mail since this morning."
    submission_token = factory.LazyFunction(uuid.uuid4)
    reference = factory.Sequence(lambda n: f"C-2026-{n + 500000:06d}")
    first_response_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=8))
    resolution_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))
    sla_due_at = factory.SelfAttribute("first_response_due_at")


class ComplaintSpikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComplaintSpike

    service = factory.SubFactory(ServiceFactory)
    region = factory.SubFactory(RegionFactory)
    window_start = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    window_end = factory.LazyFunction(timezone.now)
    businesses = 20
    previous_businesses = 15
    baseline = 0.5


class IncidentFactory(factories.IncidentFactory):
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    detected_at = None
    declared_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
