"""Factories of the incidents app."""

import datetime as dt

import factory
from django.utils import timezone

from tests.factories import ContactFactory, RegionFactory, ServiceFactory
from tracker.incidents.models import Incident, IncidentUpdate, StatusSubscription


class IncidentFactory(factory.django.DjangoModelFactory):
    """A declared, open incident; pass services=[...] and regions=[...] to place it."""

    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Outage {n}")
    status = Incident.Status.INVESTIGATING
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    detected_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=5))
    declared_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(minutes=10))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create:
            self.services.set(extracted if extracted is not None else [ServiceFactory()])

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create:
            self.regions.set(extracted if extracted is not None else [RegionFactory()])


class IncidentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentUpdate

    incident = factory.SubFactory(IncidentFactory)
    status = Incident.Status.INVESTIGATING
    message = factory.Sequence(lambda n: f"We are looking into it ({n}).")
    language = "en"
    published_at = factory.LazyAttribute(lambda o: o.incident.declared_at or timezone.now())


class StatusSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StatusSubscription

    contact = factory.SubFactory(ContactFactory, business=None)
    service = factory.SubFactory(ServiceFactory)
    region = factory.SubFactory(RegionFactory)
    confirmed_at = factory.LazyFunction(timezone.now)
