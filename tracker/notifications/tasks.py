"""Thin tasks: they receive ids and call one idempotent service."""

from celery import shared_task


@shared_task(name="tracker.notifications.tasks.expand_job")
def expand_job(job_id: int) -> None:
    from . import engine

    engine.job_expand(job_id=job_id)


@shared_task(name="tracker.notifications.tasks.sweep_deliveries")
def sweep_deliveries() -> None:
    from . import engine

    engine.deliveries_sweep()
