"""Factories of the complaints app."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from complaints.models import Complaint, ComplaintSpike
from tests.factories import BusinessFactory, ContactFactory, RegionFactory, ServiceFactory, SubscriptionFactory
from tracker.incidents.models import Incident


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


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Outage {n}")
    status = Incident.Status.INVESTIGATING
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    declared_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)


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
