"""Factories of the report tests: rows of every app the reports read."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from complaints.models import Complaint
from petitions.models import CompensationDecision, Petition, Signature
from tests import factories
from tests.factories import BusinessFactory, RegionFactory, ServiceFactory
from tracker.incidents.models import Incident, IncidentUpdate
from tracker.notifications.models import Delivery, NotificationJob


class ReportIncidentFactory(factories.IncidentFactory):
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=3))
    detected_at = None
    declared_at = factory.LazyAttribute(lambda i: i.started_at + timedelta(minutes=30))


class JobFactory(factories.NotificationJobFactory):
    status = NotificationJob.Status.DONE


class DeliveryFactory(factories.DeliveryFactory):
    job = factory.SubFactory(JobFactory)
    status = Delivery.Status.SENT


class ReportComplaintFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Complaint

    business = factory.SubFactory(BusinessFactory)
    service = factory.SubFactory(ServiceFactory)
    region = factory.SubFactory(RegionFactory)
    site_label = "Main office"
    category = "cannot_receive_email"
    since = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    description = "No e-mail since this morning."
    submission_token = factory.LazyFunction(uuid.uuid4)
    reference = factory.Sequence(lambda n: f"R-2026-{n:06d}")


class UpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentUpdate

    incident = factory.SubFactory(ReportIncidentFactory)
    status = Incident.Status.INVESTIGATING
    message = "We are investigating."
    published_at = factory.LazyAttribute(lambda u: u.incident.declared_at)
    notification_job = factory.SubFactory(JobFactory)


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petition
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"petition-{n}")
    title = factory.Sequence(lambda n: f"Petition {n}")
    text = "Compensate us."
    status = Petition.Status.OPEN

    @factory.post_generation
    def incidents(self, create, extracted, **kwargs):
        if create and extracted:
            self.incidents.set(extracted)


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    name = factory.Sequence(lambda n: f"Signer {n}")
    email = factory.Sequence(lambda n: f"signer{n}@example.com")
    email_canonical = factory.SelfAttribute("email")
    email_domain = "example.com"
    loss_amount = Decimal("0")
    loss_currency = "EUR"
    confirmed_at = factory.LazyFunction(timezone.now)


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationDecision

    incident = factory.SubFactory(ReportIncidentFactory)
    business = factory.SubFactory(BusinessFactory)
    currency = "CHF"
    proposed_amount = Decimal("100.00")
