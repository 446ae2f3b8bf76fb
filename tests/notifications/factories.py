import factory

from tests.factories import BusinessFactory, ContactFactory
from tracker.notifications.models import Delivery, NotificationJob, WebhookEndpoint


class NotificationJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationJob

    kind = "test.outage_notice"
    params = factory.LazyFunction(dict)
    status = NotificationJob.Status.EXPANDED


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    job = factory.SubFactory(NotificationJobFactory)
    contact = factory.SubFactory(ContactFactory)
    channel = "email"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    business = factory.SubFactory(BusinessFactory)
    url = "https://93.184.215.14/hooks/outages"
