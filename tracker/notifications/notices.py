"""Message kinds of the engine itself."""

from __future__ import annotations

from django.utils.translation import gettext

from tracker.customers.models import Contact

from .kinds import Message, MessageKind


class WebhookDisabledKind(MessageKind):
    """Tells a business that its webhook endpoint was turned off after repeated failures."""

    key = "notifications.webhook_disabled"
    category = "account"

    def audience(self, job):
        contacts = Contact.objects.filter(business_id=job.params.get("business_id"))
        admins = contacts.filter(is_business_admin=True)
        return admins if admins.exists() else contacts

    def render(self, job, *, language: str) -> Message:
        values = {"url": str(job.params.get("url", ""))[:500], "failures": int(job.params.get("failures") or 0)}
        subject = gettext("Your webhook endpoint was turned off")
        text = (
            gettext(
                "After %(failures)s failed deliveries in a row, we stopped sending events to %(url)s. "
                "Fix the receiver, then ask us to turn it on again."
            )
            % values
        )
        return Message(subject=subject, text=text, sms=subject, payload={"url": values["url"]})
