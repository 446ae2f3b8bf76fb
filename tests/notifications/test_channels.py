import json

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from tests.factories import BusinessFactory, ContactFactory
from tracker.notifications import engine, services
from tracker.notifications.channels import PermanentFailure, TemporaryFailure
from tracker.notifications.channels import webhook as webhook_channel
from tracker.notifications.channels.sms import HttpSmsBackend
from tracker.notifications.models import Delivery, NotificationJob, WebhookEndpoint
from tracker.notifications.validators import validate_webhook_url

from .factories import DeliveryFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_email_is_multipart_localized_with_one_click_unsubscribe_and_a_stable_message_id(client, mailoutbox):
    contact = ContactFactory(language="de")
    delivery = DeliveryFactory(contact=contact)

    engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)

    [message] = mailoutbox
    headers = message.extra_headers
    assert message.subject == "Aktuelle Störung"
    assert headers["Message-ID"] == f"<delivery-{delivery.pk}@status.example.com>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Content-Language"] == "de"
    unsubscribe_url = headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url.startswith("https://status.example.com/notifications/unsubscribe/")
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<p>Aktuelle Störung [de]</p>" in html
    assert unsubscribe_url in html and unsubscribe_url in message.body
    preferences_path = next(
        word for word in message.body.split() if "/notifications/preferences/" in word
    ).removeprefix("https://status.example.com")
    assert client.get(preferences_path).status_code == 200
    assert Delivery.objects.get(pk=delivery.pk).provider_message_id == headers["Message-ID"]


def _receiver(secret, received, status=204):
    def handle(request: httpx.Request) -> httpx.Response:
        body = request.content.decode()
        # the Standard Webhooks reference library checks our signature
        payload = Webhook(secret).verify(body, dict(request.headers))
        received.append((request.headers["webhook-id"], payload))
        return httpx.Response(status)

    return httpx.MockTransport(handle)


def test_webhooks_are_signed_per_standard_webhooks_and_verified_by_the_reference_library(
    django_capture_on_commit_callbacks,
):
    business = BusinessFactory()
    admin = ContactFactory(business=business, is_business_admin=True)
    ContactFactory(business=business)
    endpoint = WebhookEndpointFactory(business=business)
    received = []
    webhook_channel.transport = _receiver(endpoint.secret, received)

    with django_capture_on_commit_callbacks(execute=True):
        job = services.notification_job_create(kind="test.outage_notice", params={"business_ids": [business.pk]})

    hook = Delivery.objects.get(job=job, channel="webhook")
    assert (hook.contact_id, hook.status) == (admin.pk, "sent")  # one per business, not per contact
    assert received == [
        (
            f"msg_delivery_{hook.pk}",
            {
                "type": "test.outage_notice",
                "timestamp": received[0][1]["timestamp"],
                "data": {"job": job.pk, "language": "fr"},
            },
        )
    ]


def test_a_tampered_webhook_fails_verification():
    secret = WebhookEndpointFactory.build().secret
    headers = webhook_channel.signed_headers(secret=secret, msg_id="msg_1", timestamp=timezone.now(), body="{}")
    Webhook(secret).verify("{}", headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(secret).verify('{"x":1}', headers)


def test_a_webhook_endpoint_failing_repeatedly_is_disabled_and_the_business_told(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.NOTIFY_WEBHOOK_DISABLE_AFTER = 2
    settings.NOTIFY_MAX_ATTEMPTS = 1
    business = BusinessFactory(language="en")
    admin = ContactFactory(business=business, is_business_admin=True, wants_email=False)
    endpoint = WebhookEndpointFactory(business=business)
    webhook_channel.transport = httpx.MockTransport(lambda request: httpx.Response(500))

    for _event in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.notification_job_create(kind="test.outage_notice", params={"business_ids": [business.pk]})

    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 2
    assert endpoint.disabled_at is not None
    assert list(Delivery.objects.filter(channel="webhook").values_list("status", "last_error")) == [
        ("failed", "Webhook answered 500"),
        ("failed", "Webhook answered 500"),
    ]
    # one notice, for the business admin (who turned every channel off here: nothing to send)
    notice = NotificationJob.objects.get(kind="notifications.webhook_disabled")
    assert (notice.params["business_id"], notice.status) == (admin.business_id, NotificationJob.Status.DONE)
    assert mailoutbox == []

    # a third event: no webhook row for a disabled endpoint
    with django_capture_on_commit_callbacks(execute=True):
        job = services.notification_job_create(kind="test.outage_notice", params={"business_ids": [business.pk]})
    assert not Delivery.objects.filter(job=job, channel="webhook").exists()


def test_the_business_admin_is_told_by_email_when_its_webhook_is_disabled(
    settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.NOTIFY_WEBHOOK_DISABLE_AFTER = 1
    settings.NOTIFY_MAX_ATTEMPTS = 1
    business = BusinessFactory(language="en")
    admin = ContactFactory(business=business, is_business_admin=True, muted_kinds=["incident"])
    ContactFactory(business=business, muted_kinds=["incident"])
    endpoint = WebhookEndpointFactory(business=business)
    webhook_channel.transport = httpx.MockTransport(lambda request: httpx.Response(503))

    with django_capture_on_commit_callbacks(execute=True):
        services.notification_job_create(kind="test.outage_notice", params={"business_ids": [business.pk]})

    assert [(m.to[0], m.subject) for m in mailoutbox] == [(admin.email, "Your webhook endpoint was turned off")]
    assert endpoint.url in mailoutbox[0].body


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14/hook", "The webhook address must start with https://."),
        ("https://127.0.0.1/hook", "The host 127.0.0.1 is not on the public internet."),
        ("https://10.1.2.3/hook", "The host 10.1.2.3 is not on the public internet."),
        ("https://169.254.169.254/latest/meta-data", "The host 169.254.169.254 is not on the public internet."),
        ("https://[::1]/hook", "The host ::1 is not on the public internet."),
        ("https://[::ffff:192.168.1.1]/hook", "The host ::ffff:192.168.1.1 is not on the public internet."),
        ("https://user:pw@93.184.215.14/hook", "The webhook address must not contain a user name or password."),
    ],
)
def test_webhook_urls_must_be_https_and_public(url, message, settings):
    settings.DEBUG = False
    endpoint = WebhookEndpoint(business=BusinessFactory(), url=url)
    with pytest.raises(ValidationError) as error:
        endpoint.full_clean()
    assert error.value.message_dict == {"url": [message]}


def test_a_public_https_webhook_url_is_accepted_and_debug_allows_a_local_receiver(settings):
    settings.DEBUG = False
    validate_webhook_url("https://93.184.215.14/hook")
    settings.DEBUG = True
    validate_webhook_url("http://127.0.0.1:8001/hook")


def test_a_webhook_url_that_now_resolves_to_a_private_address_is_not_called(settings):
    settings.DEBUG = False
    calls = []
    webhook_channel.transport = httpx.MockTransport(lambda request: calls.append(request) or httpx.Response(204))
    with pytest.raises(PermanentFailure, match="not on the public internet"):
        webhook_channel.send(
            url="https://127.0.0.1/hook", secret="whsec_" + "A" * 32, delivery_id=1, event_type="t", payload={}
        )
    assert calls == []


def test_the_http_sms_gateway_gets_the_token_and_the_delivery_id_as_idempotency_key(settings):
    settings.SMS_GATEWAY_URL = "https://sms.example.com/v1/messages"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    seen = []

    def gateway(request):
        seen.append((request.headers["authorization"], request.headers["idempotency-key"], json.loads(request.content)))
        return httpx.Response(201, json={"id": "sms-123"})

    backend = HttpSmsBackend()
    backend.transport = httpx.MockTransport(gateway)
    assert backend.send(to="+41791234567", body="Panne", idempotency_key="42") == "sms-123"
    assert seen == [("Bearer secret-token", "42", {"to": "+41791234567", "body": "Panne"})]


@pytest.mark.parametrize(
    ("status", "error"), [(500, TemporaryFailure), (429, TemporaryFailure), (400, PermanentFailure)]
)
def test_sms_gateway_errors_are_temporary_or_permanent(settings, status, error):
    settings.SMS_GATEWAY_URL = "https://sms.example.com/v1/messages"
    backend = HttpSmsBackend()
    backend.transport = httpx.MockTransport(lambda request: httpx.Response(status, text="no"))
    with pytest.raises(error):
        backend.send(to="+41791234567", body="Panne", idempotency_key="42")


def test_per_channel_rate_limit_spreads_messages_over_seconds(settings):
    settings.NOTIFY_RATE_LIMITS = {"sms": 2}
    import time

    start = time.monotonic()
    for _message in range(5):
        engine._throttle("sms")
    # 5 messages at 2 per second need at least two second boundaries
    assert time.monotonic() - start >= 1.0
