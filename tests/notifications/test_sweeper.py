"""The sweeper leaves a queued batch to its task and re-queues only what a lost task left behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import BusinessFactory, ContactFactory
from tracker.notifications import engine, services, sweeper
from tracker.notifications.models import Delivery

from .factories import DeliveryFactory, NotificationJobFactory

pytestmark = pytest.mark.django_db

KIND = "test.outage_notice"


def _ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def _pending(job, *, count, created_at, enqueued_at, next_attempt_at=None):
    rows = [DeliveryFactory(job=job) for _ in range(count)]
    Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
        created_at=created_at, enqueued_at=enqueued_at, next_attempt_at=next_attempt_at
    )
    return rows


def test_expansion_stamps_every_row_it_enqueues(django_capture_on_commit_callbacks, settings):
    # given a job for 5 contacts and batches of 2
    settings.NOTIFY_BATCH_SIZE = 2
    business = BusinessFactory()
    for _ in range(5):
        ContactFactory(business=business)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.notification_job_create(kind=KIND, params={"business_ids": [business.pk]})

    # when it is expanded and its batches are put on the queue (not run)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        engine.job_expand(job_id=job.pk)

    # then 3 tasks were enqueued and each of the 5 rows carries the time it was queued
    assert len(callbacks) == 3
    stamps = list(Delivery.objects.filter(job=job).values_list("status", "enqueued_at"))
    assert len(stamps) == 5
    assert all(status == "pending" and stamp is not None and stamp >= before for status, stamp in stamps)


def test_a_batch_still_waiting_in_the_queue_is_not_requeued_and_a_stale_one_is(
    django_capture_on_commit_callbacks, mailoutbox, settings
):
    # given rows created long ago: one batch queued 5 minutes ago, one queued 11 minutes ago
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 600
    waiting_job, stale_job = NotificationJobFactory(), NotificationJobFactory()
    waiting = _pending(waiting_job, count=3, created_at=_ago(minutes=20), enqueued_at=_ago(minutes=5))
    stale = _pending(stale_job, count=2, created_at=_ago(minutes=20), enqueued_at=_ago(minutes=11))

    # when the sweeper runs and its tasks run
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = sweeper.deliveries_sweep()

    # then only the stale batch got a task, and only its rows were sent
    assert result["batches"] == 1
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(d.contact.email for d in stale)
    assert set(Delivery.objects.filter(job=stale_job).values_list("status", flat=True)) == {"sent"}
    waiting_rows = Delivery.objects.filter(pk__in=[d.pk for d in waiting])
    assert set(waiting_rows.values_list("status", "attempts")) == {("pending", 0)}
    assert all(stamp < _ago(minutes=4) for stamp in waiting_rows.values_list("enqueued_at", flat=True))


def test_a_requeued_batch_is_stamped_so_the_next_sweep_leaves_it(django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 600
    rows = _pending(NotificationJobFactory(), count=2, created_at=_ago(minutes=30), enqueued_at=_ago(minutes=15))

    # when the sweeper re-queues the batch but the broker has not delivered it yet
    with django_capture_on_commit_callbacks(execute=False) as first:
        first_result = sweeper.deliveries_sweep()
    with django_capture_on_commit_callbacks(execute=False) as second:
        second_result = sweeper.deliveries_sweep()

    # then the second sweep adds no duplicate task
    assert (first_result["batches"], len(first)) == (1, 1)
    assert (second_result["batches"], len(second)) == (0, 0)
    stamps = Delivery.objects.filter(pk__in=[d.pk for d in rows]).values_list("enqueued_at", flat=True)
    assert all(stamp > _ago(minutes=1) for stamp in stamps)


def test_a_retry_is_requeued_once_when_due_and_not_before(django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 600
    job = NotificationJobFactory()
    # given a failed attempt whose retry time has come (its first task ran a minute ago), and one not yet due
    due = _pending(
        job, count=1, created_at=_ago(minutes=2), enqueued_at=_ago(minutes=1), next_attempt_at=_ago(seconds=5)
    )
    later = _pending(job, count=1, created_at=_ago(hours=2), enqueued_at=_ago(hours=1),
                     next_attempt_at=timezone.now() + timedelta(minutes=5))  # fmt: skip

    with django_capture_on_commit_callbacks(execute=False) as first:
        sweeper.deliveries_sweep()
    with django_capture_on_commit_callbacks(execute=False) as second:
        sweeper.deliveries_sweep()

    # then one task for the due retry, none for the retry to come, no duplicate on the next sweep
    assert len(first) == 1
    assert len(second) == 0
    assert Delivery.objects.get(pk=due[0].pk).enqueued_at > _ago(minutes=1)
    assert Delivery.objects.get(pk=later[0].pk).enqueued_at < _ago(minutes=59)


def test_a_row_never_enqueued_is_picked_up_after_the_grace_period(django_capture_on_commit_callbacks, settings):
    # given rows written by an expansion that died before enqueuing them
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 120
    job = NotificationJobFactory()
    old = _pending(job, count=1, created_at=_ago(minutes=3), enqueued_at=None)
    _pending(job, count=1, created_at=_ago(seconds=30), enqueued_at=None)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = sweeper.deliveries_sweep()

    assert result["batches"] == 1
    assert len(callbacks) == 1
    assert list(Delivery.objects.filter(job=job, enqueued_at__isnull=False).values_list("pk", flat=True)) == [old[0].pk]


def test_the_admin_retry_stamps_the_rows_it_enqueues(django_capture_on_commit_callbacks, settings):
    settings.NOTIFY_REQUEUE_AFTER_SECONDS = 600
    failed = DeliveryFactory(status="failed", attempts=6)
    Delivery.objects.filter(pk=failed.pk).update(created_at=_ago(hours=1), enqueued_at=_ago(hours=1))

    with django_capture_on_commit_callbacks(execute=False) as retried:
        assert services.deliveries_retry(delivery_ids=[failed.pk]) == 1
    with django_capture_on_commit_callbacks(execute=False) as swept:
        sweeper.deliveries_sweep()

    assert len(retried) == 1
    assert len(swept) == 0
