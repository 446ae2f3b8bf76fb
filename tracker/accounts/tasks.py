from celery import shared_task


@shared_task(name="tracker.accounts.tasks.send_login_link")
def send_login_link(user_id: int, language: str) -> bool:
    from .services import login_link_send

    return login_link_send(user_id=user_id, language=language)
