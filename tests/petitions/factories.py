"""Factories of the petitions app."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from petitions.models import CompensationRule, Petition, PetitionTally, PetitionThreshold, Signature
from tests import factories
from tracker.incidents.models import Incident


class PetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Petition
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"petition-{n}")
    title = factory.Sequence(lambda n: f"Compensation for outage {n}")
    text = "We ask for a fair compensation."
    status = Petition.Status.OPEN
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))

    @factory.post_generation
    def incidents(self, create, extracted, **kwargs):
        if create:
            self.incidents.set(extracted if extracted is not None else [IncidentFactory()])

    @factory.post_generation
    def tally(self, create, extracted, **kwargs):
        if create:
            PetitionTally.objects.get_or_create(petition=self)


class ThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PetitionThreshold

    petition = factory.SubFactory(PetitionFactory)
    count = 100
    label = "The operator answers"
    answer_within_days = 14


class SignatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    name = factory.Sequence(lambda n: f"Signer {n}")
    email = factory.Sequence(lambda n: f"signer{n}@company{n}.example")
    email_canonical = factory.LazyAttribute(lambda o: o.email.lower())
    email_domain = factory.LazyAttribute(lambda o: o.email.split("@")[1].lower())
    loss_amount = Decimal("100.00")
    loss_currency = "EUR"
    language = "fr"

    class Params:
        confirmed = factory.Trait(confirmed_at=factory.LazyFunction(timezone.now), dirty=True)


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationRule

    name = "Rule"
    preset = "france_48h"
    effective_from = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class IncidentFactory(factories.IncidentFactory):
    status = Incident.Status.RESOLVED
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    detected_at = None
    declared_at = factory.LazyAttribute(lambda o: o.started_at)
