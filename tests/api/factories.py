"""Factories of the API tests: incidents, notification jobs and deliveries as plain rows."""

import datetime as dt

import factory
from django.utils import timezone

from tests.factories import ContactFactory, RegionFactory, ServiceFactory
from tracker.incidents.models import Incident
from tracker.notifications.models import Delivery, NotificationJob


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Outage {n}")
    status = Incident.Status.INVESTIGATING
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    declared_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create:
            self.services.set(extracted or [ServiceFactory()])

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create:
            self.regions.set(extracted or [RegionFactory()])


class NotificationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationJob

    kind = "incident.update"
    params = factory.LazyFunction(dict)
    status = NotificationJob.Status.EXPANDED


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    job = factory.SubFactory(NotificationJobFactory)
    contact = factory.SubFactory(ContactFactory)
    channel = "email"
    status = Delivery.Status.SENT
