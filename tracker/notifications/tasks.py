"""Thin tasks: they receive ids and call one idempotent service."""

from celery import shared_task


@shared_task(name="tracker.notifications.tasks.expand_job")
def expand_job(job_id: int) -> None:
    from . import engine

    engine.job_expand(job_id=job_id)


@shared_task(name="tracker.notifications.tasks.send_batch")
def send_batch(job_id: int, first_id: int, last_id: int) -> None:
    from . import engine

    engine.deliveries_send_batch(job_id=job_id, first_id=first_id, last_id=last_id)


@shared_task(name="tracker.notifications.tasks.sweep_deliveries")
def sweep_deliveries() -> None:
    from . import sweeper

    sweeper.deliveries_sweep()
