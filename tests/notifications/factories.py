import factory

from tests import factories
from tests.factories import BusinessFactory
from tracker.notifications.models import WebhookEndpoint


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    business = factory.SubFactory(BusinessFactory)
    url = "https://93.184.215.14/hooks/outages"


class NotificationJobFactory(factories.NotificationJobFactory):
    kind = "test.outage_notice"


class DeliveryFactory(factories.DeliveryFactory):
    job = factory.SubFactory(NotificationJobFactory)
