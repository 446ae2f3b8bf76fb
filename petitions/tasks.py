"""Thin tasks: ids in, one idempotent service call."""

import smtplib

from celery import shared_task

# Mail servers fail now and then: retry with backoff (the services only send what is still unsent).
MAIL_RETRY = {"autoretry_for": (OSError, smtplib.SMTPException), "retry_backoff": 30, "max_retries": 6}


@shared_task(name="petitions.tasks.send_confirmation", **MAIL_RETRY)
def send_confirmation(signature_id: int) -> None:
    from .emails import confirmation_send

    confirmation_send(signature_id=signature_id)


@shared_task(name="petitions.tasks.count_signatures")
def count_signatures() -> None:
    from .counting import tally_count

    tally_count()


@shared_task(name="petitions.tasks.reconcile_tallies")
def reconcile_tallies() -> None:
    from .counting import tally_reconcile

    tally_reconcile()


@shared_task(name="petitions.tasks.housekeeping")
def housekeeping() -> None:
    """Nightly: close due petitions, expire unconfirmed signatures (old ones are anonymised by the retention task)."""
    from . import services

    services.petitions_close_due()
    services.signatures_expire()


@shared_task(name="petitions.tasks.notify_threshold", **MAIL_RETRY)
def notify_threshold(threshold_id: int) -> None:
    from .emails import threshold_notify

    threshold_notify(threshold_id=threshold_id)


@shared_task(name="petitions.tasks.notify_answer", **MAIL_RETRY)
def notify_answer(petition_id: int) -> None:
    from .emails import answer_notify

    answer_notify(petition_id=petition_id)
