from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.factories import BusinessFactory, ContactFactory, ServiceFactory, SubscriptionFactory
from tracker.notifications import engine, selectors, services, sweeper
from tracker.notifications.models import Delivery, NotificationJob

from .factories import DeliveryFactory, NotificationJobFactory

pytestmark = pytest.mark.django_db

KIND = "test.outage_notice"


def _create_job(capture, **params):
    with capture(execute=True):
        return services.notification_job_create(kind=KIND, params=params)


def _rows(job):
    return {
        (d.contact_id, d.channel, d.status)
        for d in Delivery.objects.filter(job=job).only("contact_id", "channel", "status")
    }


def test_a_job_creates_the_expected_deliveries_and_sends_each_once_in_the_contacts_language(
    django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    # given businesses in three languages and contacts with different preferences
    fr_business = BusinessFactory(language="fr")
    de_business = BusinessFactory(language="de")
    fr_contact = ContactFactory(business=fr_business, language="")
    it_contact = ContactFactory(business=fr_business, language="it", wants_sms=True)
    de_contact = ContactFactory(business=de_business, language="")
    unsubscribed = ContactFactory(business=de_business, unsubscribed_at=timezone.now())
    muted = ContactFactory(business=de_business, muted_kinds=["incident"])
    no_address = ContactFactory(business=de_business, email="", wants_sms=False)
    ContactFactory()  # another business: not in the audience

    # when a job is created and its after-commit work runs
    job = _create_job(django_capture_on_commit_callbacks, business_ids=[fr_business.pk, de_business.pk])

    # then exactly one row per wanted channel, each sent once
    sent = Delivery.Status.SENT
    assert _rows(job) == {
        (fr_contact.pk, "email", sent),
        (it_contact.pk, "email", sent),
        (it_contact.pk, "sms", sent),
        (de_contact.pk, "email", sent),
    }
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        [
            (fr_contact.email, "Panne en cours"),
            (it_contact.email, "Guasto in corso"),
            (de_contact.email, "Aktuelle Störung"),
        ]
    )
    assert [s["to"] for s in sms_outbox] == [str(it_contact.phone)]
    # In the contact's language, with the signed preferences link after the translated label.
    assert sms_outbox[0]["body"].startswith("Guasto in corso [it] Impostazioni: http")
    assert "/notifications/preferences/" in sms_outbox[0]["body"]
    assert unsubscribed.email not in {m.to[0] for m in mailoutbox}
    assert muted.email not in {m.to[0] for m in mailoutbox}
    assert no_address.pk not in {row[0] for row in _rows(job)}
    job.refresh_from_db()
    assert job.status == NotificationJob.Status.DONE
    assert job.finished_at == Delivery.objects.filter(job=job).latest("sent_at").sent_at
    assert Delivery.objects.filter(job=job, attempts=1).count() == 4


def test_staff_text_is_sent_with_the_translation_staff_provided_else_as_written(
    django_capture_on_commit_callbacks, mailoutbox
):
    business = BusinessFactory(language="fr")
    ContactFactory(business=business, language="de")
    ContactFactory(business=business, language="en")

    _create_job(
        django_capture_on_commit_callbacks,
        business_ids=[business.pk],
        note="Coupure du central de Lausanne",
        note_translations={"de": "Ausfall der Zentrale Lausanne"},
    )

    bodies = {m.subject: m.body for m in mailoutbox}
    assert "Ausfall der Zentrale Lausanne" in bodies["Aktuelle Störung"]
    assert "Coupure du central de Lausanne" in bodies["Ongoing outage"]


def test_contacts_whose_email_service_is_down_are_reached_by_sms_instead(
    django_capture_on_commit_callbacks, mailoutbox, sms_outbox
):
    # given a Fixed e-mail service that carries e-mail, down for business A only
    fixed_email = ServiceFactory(name="Fixed e-mail", carries_channel="email")
    affected = BusinessFactory()
    other = BusinessFactory()
    SubscriptionFactory(business=affected, service=fixed_email)
    SubscriptionFactory(business=other, service=ServiceFactory(name="ADSL"))
    with_phone = ContactFactory(business=affected, wants_sms=False)
    without_phone = ContactFactory(business=affected, phone="")
    elsewhere = ContactFactory(business=other)

    job = _create_job(
        django_capture_on_commit_callbacks, business_ids=[affected.pk, other.pk], down_service_ids=[fixed_email.pk]
    )

    rows = {(d.contact_id, d.channel): (d.status, d.reason) for d in Delivery.objects.filter(job=job)}
    assert rows == {
        (with_phone.pk, "email"): ("skipped", "E-mail unavailable: Fixed e-mail outage"),
        (with_phone.pk, "sms"): ("sent", "Fallback for E-mail"),
        (without_phone.pk, "email"): ("skipped", "E-mail unavailable: Fixed e-mail outage"),
        (elsewhere.pk, "email"): ("sent", ""),
    }
    assert [m.to[0] for m in mailoutbox] == [elsewhere.email]
    assert [s["to"] for s in sms_outbox] == [str(with_phone.phone)]


def test_a_contact_unsubscribed_after_the_job_was_queued_gets_nothing(django_capture_on_commit_callbacks, mailoutbox):
    business = BusinessFactory()
    leaving = ContactFactory(business=business)
    staying = ContactFactory(business=business)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
    engine.job_expand(job_id=job.pk)  # rows exist, batches not run yet
    assert len(callbacks) == 1

    services.contact_unsubscribe(contact=leaving)
    first, last = Delivery.objects.filter(job=job).order_by("id").values_list("id", flat=True)
    engine.deliveries_send_batch(job_id=job.pk, first_id=first, last_id=last)

    assert [m.to[0] for m in mailoutbox] == [staying.email]
    assert Delivery.objects.get(job=job, contact=leaving).status == Delivery.Status.SKIPPED


def test_a_contact_unsubscribed_while_its_row_waits_is_skipped_at_send_time(mailoutbox):
    delivery = DeliveryFactory()
    type(delivery.contact).objects.filter(pk=delivery.contact_id).update(unsubscribed_at=timezone.now())

    sent = engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)

    delivery.refresh_from_db()
    assert (sent, delivery.status, delivery.reason, mailoutbox) == (0, "skipped", "Unsubscribed", [])


def test_a_rolled_back_transaction_creates_and_enqueues_nothing(django_capture_on_commit_callbacks):
    business = BusinessFactory()
    ContactFactory(business=business)

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
        raise RuntimeError("the incident update failed")

    assert callbacks == []
    assert NotificationJob.objects.count() == 0


def test_the_same_dedupe_key_gives_the_same_job(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.notification_job_create(kind=KIND, params={}, dedupe_key="update:1")
        second = services.notification_job_create(kind=KIND, params={}, dedupe_key="update:1")
    assert (first.pk, NotificationJob.objects.count(), len(callbacks)) == (second.pk, 1, 1)


def test_a_provider_error_is_retried_with_backoff_then_failed_and_retryable(settings, mailoutbox):
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.backends.RefusingBackend"}}
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    delivery = DeliveryFactory()

    before = timezone.now()
    engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "SMTP server refused the connection" in delivery.last_error
    assert before + timedelta(seconds=30) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=60)
    # not due yet: a new batch claims nothing
    assert engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk) == 0
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1

    for _attempt in range(2):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)

    # the provider is back; staff retry from the admin
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert services.deliveries_retry(job_ids=[delivery.job_id]) == 1
    engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(mailoutbox)) == ("sent", 1, 1)


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (10, 3600)]:
        delay = engine.retry_delay(attempts).total_seconds()
        assert ceiling / 2 <= delay <= ceiling


def test_a_row_marked_sent_is_never_sent_again(mailoutbox):
    delivery = DeliveryFactory()
    for _run in range(3):
        engine.deliveries_send_batch(job_id=delivery.job_id, first_id=delivery.pk, last_id=delivery.pk)
    assert len(mailoutbox) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


def test_the_sweeper_takes_back_a_dead_workers_rows_and_counts_them(django_capture_on_commit_callbacks, mailoutbox):
    # given a worker that died while sending: its lease expired
    job = NotificationJobFactory()
    lost = DeliveryFactory(job=job, status="sending", attempts=1, lease_until=timezone.now() - timedelta(seconds=1))
    leased = DeliveryFactory(job=job, status="sending", attempts=1, lease_until=timezone.now() + timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        result = sweeper.deliveries_sweep()

    lost.refresh_from_db()
    leased.refresh_from_db()
    assert result["lease_expired"] == 1
    assert (lost.status, lost.maybe_sent, lost.attempts) == ("sent", True, 2)
    assert (leased.status, leased.maybe_sent) == ("sending", False)
    assert [m.to[0] for m in mailoutbox] == [lost.contact.email]
    assert selectors.job_maybe_sent_count(job_id=job.pk) == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<delivery-{lost.pk}@status.example.com>"


def test_the_sweeper_expands_a_job_whose_task_was_lost(django_capture_on_commit_callbacks, mailoutbox, settings):
    business = BusinessFactory()
    contact = ContactFactory(business=business)
    with django_capture_on_commit_callbacks(execute=False):  # the broker never got the message
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
    NotificationJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=True):
        sweeper.deliveries_sweep()

    assert [m.to[0] for m in mailoutbox] == [contact.email]
    job.refresh_from_db()
    assert job.status == NotificationJob.Status.DONE


def test_the_sweeper_sends_pending_rows_whose_batch_was_lost(django_capture_on_commit_callbacks, mailoutbox):
    delivery = DeliveryFactory()
    Delivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    fresh = DeliveryFactory(job=delivery.job)  # its batch is probably still queued: left alone

    with django_capture_on_commit_callbacks(execute=True):
        result = sweeper.deliveries_sweep()

    assert result["batches"] == 1
    assert Delivery.objects.get(pk=delivery.pk).status == "sent"
    assert [m.to[0] for m in mailoutbox] == [delivery.contact.email]
    assert Delivery.objects.get(pk=fresh.pk).status == "pending"


def test_batches_are_one_task_per_batch_size_not_per_recipient(django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_BATCH_SIZE = 4
    business = BusinessFactory()
    ContactFactory.create_batch(10, business=business)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        engine.job_expand(job_id=job.pk)
    assert len(callbacks) == 3  # 4 + 4 + 2 rows


def test_expanding_twice_creates_nothing_new(django_capture_on_commit_callbacks):
    business = BusinessFactory()
    ContactFactory.create_batch(3, business=business)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
    with django_capture_on_commit_callbacks(execute=False):
        engine.job_expand(job_id=job.pk)
        engine.job_expand(job_id=job.pk)
    assert Delivery.objects.filter(job=job).count() == 3


def _expand_and_send_queries(n, django_assert_num_queries, capture):
    business = BusinessFactory()
    ContactFactory.create_batch(n, business=business, wants_sms=True)
    with capture(execute=False):
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})
    queries = {}
    with capture(execute=False), django_assert_num_queries(11) as ctx:  # incl. stamping the queued rows
        engine.job_expand(job_id=job.pk)
    queries["expand"] = len(ctx.captured_queries)
    first, *_, last = Delivery.objects.filter(job=job).order_by("id").values_list("id", flat=True)
    with django_assert_num_queries(10) as ctx:
        engine.deliveries_send_batch(job_id=job.pk, first_id=first, last_id=last)
    queries["send"] = len(ctx.captured_queries)
    assert Delivery.objects.filter(job=job, status="sent").count() == 2 * n
    return queries


@pytest.mark.parametrize("n", [10, 20])
def test_expansion_and_sending_take_the_same_queries_at_n_and_2n(
    n, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.NOTIFY_MARK_EVERY = 1000
    _expand_and_send_queries(n, django_assert_num_queries, django_capture_on_commit_callbacks)
