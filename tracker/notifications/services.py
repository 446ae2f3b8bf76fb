"""Writes of the notification engine."""

from django.db import IntegrityError, transaction

from .kinds import get_kind
from .models import NotificationJob


@transaction.atomic
def notification_job_create(
    *, kind: str, params: dict, dedupe_key: str | None = None, created_by=None
) -> NotificationJob:
    """Record a job inside the caller's transaction; expansion starts after commit.

    Nothing talks to the broker before the caller's transaction commits: if it
    rolls back, the job and its task vanish together. With a dedupe_key, a
    second call for the same event returns the first job.
    """
    get_kind(kind)  # fail early on a kind nobody registered
    if dedupe_key:
        existing = NotificationJob.objects.filter(dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            job = NotificationJob.objects.create(kind=kind, params=params, dedupe_key=dedupe_key, created_by=created_by)
    except IntegrityError:
        return NotificationJob.objects.get(dedupe_key=dedupe_key)

    from .tasks import expand_job

    expand_job.delay_on_commit(job.pk)
    return job
