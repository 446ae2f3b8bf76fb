"""Mail backends standing in for a provider (the process boundary)."""

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """A provider that is down: every send raises."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server refused the connection")
