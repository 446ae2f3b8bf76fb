"""Reads of the notification engine."""

from datetime import timedelta

from django.db.models import Count, Q

from .models import Delivery, NotificationJob


def job_counts(*, job_id: int) -> dict[tuple[str, str], int]:
    """(channel, status) -> number of deliveries, in one aggregate query."""
    rows = Delivery.objects.filter(job_id=job_id).order_by().values_list("channel", "status").annotate(n=Count("id"))
    return {(channel, status): n for channel, status, n in rows}


def job_maybe_sent_count(*, job_id: int) -> int:
    return Delivery.objects.filter(job_id=job_id, maybe_sent=True).count()


def job_duration(*, job: NotificationJob) -> timedelta | None:
    """From the job's commit to its last delivery."""
    if job.finished_at is None:
        return None
    return job.finished_at - job.created_at


def contact_delivery_list(*, contact_id: int):
    """A contact's delivery history, newest first, with its jobs."""
    return Delivery.objects.filter(contact_id=contact_id).select_related("job").order_by("-id")


def failed_delivery_list(*, job_id: int):
    return Delivery.objects.filter(Q(job_id=job_id) & Q(status=Delivery.Status.FAILED)).select_related("contact")
