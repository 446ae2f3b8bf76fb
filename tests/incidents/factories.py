"""Factories of the incidents app."""

import factory
from django.utils import timezone

from tests import factories
from tests.factories import ContactFactory, RegionFactory, ServiceFactory
from tracker.incidents.models import Incident, IncidentUpdate, StatusSubscription


class IncidentUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentUpdate

    incident = factory.SubFactory(factories.IncidentFactory)
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
