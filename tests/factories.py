"""factory_boy factories shared by every test module."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tracker.customers.models import Business, Contact, Region, Service, Subscription, VoiceLine
from tracker.incidents.models import Incident
from tracker.notifications.models import Delivery, NotificationJob


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


class StaffFactory(UserFactory):
    """A staff member in a role group: StaffFactory() is an agent, StaffFactory(role="manager") a manager."""

    class Meta:
        skip_postgeneration_save = True  # the hook adds a group; the user row needs no second save

    is_staff = True

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        if create:
            self.groups.add(Group.objects.get(name=extracted or "agent"))


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


class IncidentFactory(factory.django.DjangoModelFactory):
    """A declared, open incident; pass services=[...] and regions=[...] to place it."""

    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Outage {n}")
    status = Incident.Status.INVESTIGATING
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=2))
    detected_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=5))
    declared_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=10))

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create:
            self.services.set(extracted if extracted is not None else [ServiceFactory()])

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create:
            self.regions.set(extracted if extracted is not None else [RegionFactory()])


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
