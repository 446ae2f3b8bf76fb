"""Factories of the API tests: incidents, notification jobs and deliveries as plain rows."""

from tests import factories
from tracker.notifications.models import Delivery


class DeliveryFactory(factories.DeliveryFactory):
    status = Delivery.Status.SENT
