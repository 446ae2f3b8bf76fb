from celery import shared_task

from .privacy import retention_apply


@shared_task(name="tracker.security.tasks.apply_retention")
def apply_retention() -> dict[str, int]:
    """Daily: delete or anonymise personal data past its retention period."""
    return retention_apply()
