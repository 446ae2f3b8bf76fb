"""The periodic sweeper: takes back what a dead worker or a lost broker message left behind.

A pending row belongs to the send_batch task enqueued for it (Delivery.enqueued_at) until
NOTIFY_REQUEUE_AFTER_SECONDS have passed: a batch waiting in a long queue is not lost, and
re-enqueuing it would only add tasks that find nothing to claim. Past that age the task is
presumed lost (a broker restart, a crash between commit and publish) and the row gets a new one.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .engine import _enqueue_ranges, job_finish_if_done
from .models import Delivery, NotificationJob

logger = logging.getLogger(__name__)


def _due_without_a_task(*, now) -> Q:
    """Pending rows that may be claimed now and that no live send_batch task is presumed to cover."""
    grace = now - timedelta(seconds=settings.NOTIFY_SWEEP_GRACE_SECONDS)
    requeue_before = now - timedelta(seconds=settings.NOTIFY_REQUEUE_AFTER_SECONDS)
    claimable = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    never_enqueued = Q(enqueued_at__isnull=True, created_at__lt=grace)
    # A retry (or a lease taken back) became due after its last task ran: that task will not come back.
    retry_not_enqueued = Q(next_attempt_at__isnull=False) & (
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=F("next_attempt_at"))
    )
    task_presumed_lost = Q(enqueued_at__lt=requeue_before)
    return Q(status=Delivery.Status.PENDING) & claimable & (never_enqueued | retry_not_enqueued | task_presumed_lost)


def deliveries_sweep() -> dict[str, int]:
    """Periodic: take back rows of dead workers, re-enqueue what a lost message left behind.

    - sending rows whose lease expired go back to pending, flagged maybe_sent: the worker may
      have handed them to the provider before dying (the one window nobody can close; counted);
    - jobs still waiting for expansion after the grace period are expanded again;
    - pending rows that are due and have no live task (see _due_without_a_task) get send_batch
      tasks again, stamped enqueued. A duplicate task finds nothing to claim.
    """
    from .tasks import expand_job

    now = timezone.now()
    grace = now - timedelta(seconds=settings.NOTIFY_SWEEP_GRACE_SECONDS)
    expired = Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now).update(
        status=Delivery.Status.PENDING, maybe_sent=True, lease_until=None, next_attempt_at=now
    )
    if expired:
        logger.warning("%s deliveries had an expired lease: their worker died; they may be sent twice.", expired)
    stale_jobs = list(
        NotificationJob.objects.filter(status=NotificationJob.Status.PENDING, created_at__lt=grace).values_list(
            "pk", flat=True
        )
    )
    for job_id in stale_jobs:
        expand_job.delay_on_commit(job_id)
    due = Delivery.objects.filter(_due_without_a_task(now=now))
    due_jobs = list(due.order_by().values_list("job_id", flat=True).distinct())
    batches = 0
    for job_id in due_jobs:
        batches += _enqueue_ranges(job_id, due.filter(job_id=job_id))
    finished = 0
    for job_id in NotificationJob.objects.filter(status=NotificationJob.Status.EXPANDED).values_list("pk", flat=True):
        if job_id not in due_jobs:
            finished += job_finish_if_done(job_id=job_id)
    return {"lease_expired": expired, "jobs_expanded": len(stale_jobs), "batches": batches, "jobs_finished": finished}
