"""Thin tasks of the incidents app: they receive ids and call one service or mailer."""

from celery import shared_task


@shared_task(name="tracker.incidents.tasks.send_subscription_confirmation")
def send_subscription_confirmation(subscription_id: int, language: str) -> None:
    from .emails import subscription_confirmation_send

    subscription_confirmation_send(subscription_id=subscription_id, language=language)


@shared_task(name="tracker.incidents.tasks.remind_overdue_updates")
def remind_overdue_updates() -> int:
    from .emails import overdue_update_reminders_send

    return overdue_update_reminders_send()
