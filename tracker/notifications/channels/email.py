"""E-mail through Django's mailers, so any SMTP server or django-anymail provider works."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers


def open_connection():
    """One connection for a whole batch of messages."""
    connection = mailers.default
    connection.open()
    return connection


def message_id(delivery_id: int) -> str:
    # Stable across retries: the idempotency key a receiving system can deduplicate on.
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    return f"<delivery-{delivery_id}@{domain}>"


def send(
    connection,
    *,
    delivery_id: int,
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str,
    language: str,
) -> str:
    mid = message_id(delivery_id)
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ").strip()[:250],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": mid,
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Content-Language": language,
            "Auto-Submitted": "auto-generated",
        },
    )
    if html:
        message.attach_alternative(html, "text/html")
    connection.send_messages([message])
    # Providers behind django-anymail report their own id; else the Message-ID is ours.
    status = getattr(message, "anymail_status", None)
    provider_id = getattr(status, "message_id", None) if status is not None else None
    return str(provider_id or mid)[:200]
