"""The engine with a real Celery worker subprocess, a real broker and the real test database."""

import email
import email.policy
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from tests.factories import BusinessFactory, ContactFactory, ServiceFactory, SubscriptionFactory
from tests.fixtures.celery_worker import wait_for
from tracker.customers.models import Contact
from tracker.notifications import services, sweeper
from tracker.notifications.channels import email as email_channel
from tracker.notifications.models import Delivery, NotificationJob, WebhookEndpoint

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

KIND = "test.outage_notice"
SEPARATOR = "\n" + "-" * 79 + "\n"


def _mails(folder) -> list[email.message.EmailMessage]:
    """Every message the file-based backend wrote, across all its files."""
    messages = []
    for path in sorted(folder.glob("*.log")) if folder.exists() else []:
        for chunk in path.read_text().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_string(chunk, policy=email.policy.default))
    return messages


def _sms(folder) -> list[dict]:
    lines = []
    for path in sorted(folder.glob("*.jsonl")) if folder.exists() else []:
        lines.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return lines


class _Receiver(BaseHTTPRequestHandler):
    """A business's webhook receiver: verifies our signature with the reference library."""

    secret = ""
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        try:
            payload = Webhook(self.secret).verify(body, dict(self.headers.items()))
        except Exception as exc:  # answer 400 and record the reason
            type(self).received.append(("invalid", str(exc)))
            self.send_response(400)
        else:
            type(self).received.append((self.headers["webhook-id"], payload["data"]))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_real_worker_sends_every_delivery_once_in_the_contacts_language_on_a_working_channel(
    worker_factory, tmp_path, receiver
):
    # given four businesses in four languages; one has its e-mail service down, one a webhook
    fixed_email = ServiceFactory(name="Fixed e-mail", carries_channel="email")
    businesses = {lang: BusinessFactory(language=lang) for lang in ("fr", "de", "it", "en")}
    SubscriptionFactory(business=businesses["it"], service=fixed_email)
    contacts = {lang: ContactFactory.create_batch(5, business=b, language="") for lang, b in businesses.items()}
    gone = ContactFactory(business=businesses["fr"], unsubscribed_at=timezone.now())
    endpoint = WebhookEndpoint.objects.create(
        business=businesses["de"], url=f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    )
    _Receiver.secret = endpoint.secret
    worker = worker_factory(
        DEBUG="true",  # lets the webhook reach the local receiver over http
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        SMS_BACKEND="tracker.notifications.channels.sms.FileSmsBackend",
        SMS_FILE_PATH=str(tmp_path / "sms"),
        NOTIFY_BATCH_SIZE="7",
    ).start()

    # when staff's transaction commits a job
    with transaction.atomic():
        job = services.notification_job_create(
            kind=KIND,
            params={"business_ids": [b.pk for b in businesses.values()], "down_service_ids": [fixed_email.pk]},
        )

    # then the worker expands and sends everything
    wait_for(
        lambda: NotificationJob.objects.filter(pk=job.pk, status="done").exists(),
        timeout=60,
        what=lambda: "the job to be done\n" + worker.logs(),
    )
    rows = Counter(Delivery.objects.filter(job=job).values_list("channel", "status"))
    assert rows == Counter({("email", "sent"): 15, ("email", "skipped"): 5, ("sms", "sent"): 5, ("webhook", "sent"): 1})
    mails = _mails(tmp_path / "mail")
    subjects = {"fr": "Panne en cours", "de": "Aktuelle Störung", "en": "Ongoing outage"}
    expected = {(c.email, subjects[lang]) for lang in ("fr", "de", "en") for c in contacts[lang]}
    assert sorted((m["To"], m["Subject"]) for m in mails) == sorted(expected)  # each exactly once
    assert gone.email not in {m["To"] for m in mails}
    assert sorted((s["to"], s["body"].split(" [")[0]) for s in _sms(tmp_path / "sms")) == sorted(
        (str(c.phone), "Guasto in corso") for c in contacts["it"]
    )
    hook = Delivery.objects.get(job=job, channel="webhook")
    assert _Receiver.received == [(f"msg_delivery_{hook.pk}", {"job": job.pk, "language": "de"})]
    assert job.deliveries.filter(maybe_sent=True).count() == 0


def test_a_job_created_in_a_rolled_back_transaction_sends_nothing(worker_factory, tmp_path):
    business = BusinessFactory()
    first, second = ContactFactory.create_batch(2, business=business)
    worker = worker_factory(EMAIL_URL=f"filemail://{tmp_path / 'mail'}").start()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
        raise RuntimeError("the incident update failed validation")
    # a later, committed job goes through the same broker and worker
    with transaction.atomic():
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk], "note": "second"})
    wait_for(
        lambda: NotificationJob.objects.filter(pk=job.pk, status="done").exists(),
        what=lambda: "the committed job\n" + worker.logs(),
    )

    assert NotificationJob.objects.count() == 1
    assert sorted(m["To"] for m in _mails(tmp_path / "mail")) == sorted([first.email, second.email])


def test_killing_the_worker_mid_fan_out_loses_nothing_and_sends_each_delivery_once(worker_factory, tmp_path, settings):
    # given 300 contacts and a worker slowed by the e-mail rate limit, so we can kill it mid-way
    business = BusinessFactory(language="fr")
    Contact.objects.bulk_create(
        Contact(business=business, name=f"C{i}", email=f"c{i}@example.com", wants_email=True) for i in range(300)
    )
    env = {
        "EMAIL_URL": f"filemail://{tmp_path / 'mail'}",
        "NOTIFY_RATE_LIMITS": "email=150",
        "NOTIFY_BATCH_SIZE": "50",
        "NOTIFY_MARK_EVERY": "5",
        "NOTIFY_LEASE_SECONDS": "2",
    }
    first_worker = worker_factory(**env).start()
    with transaction.atomic():
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})

    sent = lambda: Delivery.objects.filter(job=job, status="sent").count()  # noqa: E731
    wait_for(lambda: sent() >= 60, timeout=60, what=lambda: "the first 60 sends\n" + first_worker.logs())
    first_worker.kill()
    sent_before_restart = sent()
    assert 60 <= sent_before_restart < 300

    # when its leases expire, the sweeper runs and another worker starts
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 0
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 0  # the killed worker took its queued batches with it
    wait_for(
        lambda: not Delivery.objects.filter(job=job, status="sending", lease_until__gte=timezone.now()).exists(),
        timeout=10,
        what="the leases to expire",
    )
    sweeper.deliveries_sweep()
    second_worker = worker_factory(**env).start()

    last_sweep = time.monotonic()

    def finished():
        nonlocal last_sweep
        if time.monotonic() - last_sweep > 10:  # as beat would, in case a message was lost again
            sweeper.deliveries_sweep()
            last_sweep = time.monotonic()
        return not Delivery.objects.filter(job=job).exclude(status="sent").exists()

    wait_for(finished, timeout=90, interval=0.2, what=lambda: "every delivery sent\n" + second_worker.logs())

    # then every row is sent, each message reached the provider, and any duplicate is counted
    assert Delivery.objects.filter(job=job, status="sent").count() == 300
    message_ids = Counter(m["Message-ID"] for m in _mails(tmp_path / "mail"))
    assert set(message_ids) == _message_ids(job.deliveries.all())
    duplicates = sum(n - 1 for n in message_ids.values())
    maybe_sent = Delivery.objects.filter(job=job, maybe_sent=True).count()
    assert duplicates <= maybe_sent
    # rows sent before the kill were never sent again
    maybe_sent_ids = _message_ids(job.deliveries.filter(maybe_sent=True))
    assert [mid for mid, n in message_ids.items() if n > 1 and mid not in maybe_sent_ids] == []


def _message_ids(deliveries) -> set[str]:
    return {email_channel.message_id(pk) for pk in deliveries.values_list("pk", flat=True)}
