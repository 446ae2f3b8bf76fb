"""factory_boy factories shared by every test module."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from tracker.customers.models import Business, Contact, Region, Service, Subscription, VoiceLine


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"CH-{n:02d}")
    name = factory.Sequence(lambda n: f"Region {n}")
    country = "CH"
    kind = Region.Kind.CANTON


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    customer_number = factory.Sequence(lambda n: f"CU{n:07d}")
    company_name = factory.Sequence(lambda n: f"Company {n} SA")
    language = "fr"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    phone = factory.Sequence(lambda n: f"+4179{n:07d}")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    business = factory.SubFactory(BusinessFactory)
    service = factory.SubFactory(ServiceFactory)
    region = factory.SubFactory(RegionFactory)
    site_label = "Main office"
    monthly_fee = Decimal("120.00")
    currency = "CHF"


class VoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VoiceLine

    subscription = factory.SubFactory(SubscriptionFactory)
    number = factory.Sequence(lambda n: f"+4121{n:07d}")
