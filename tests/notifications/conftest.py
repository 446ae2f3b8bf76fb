import pytest

from tracker.notifications.channels import webhook as webhook_channel
from tracker.notifications.channels.sms import LocmemSmsBackend

from . import kinds  # noqa: F401  (registers the test kind)


@pytest.fixture(autouse=True)
def _notification_settings(settings):
    settings.SMS_BACKEND = "tracker.notifications.channels.sms.LocmemSmsBackend"
    settings.NOTIFY_RATE_LIMITS = {"email": 0, "sms": 0, "webhook": 0}
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_BATCH_SIZE = 500
    settings.SITE_URL = "https://status.example.com"
    LocmemSmsBackend.outbox = []
    yield
    webhook_channel.transport = None


@pytest.fixture
def sms_outbox():
    return LocmemSmsBackend.outbox
