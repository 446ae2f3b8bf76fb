"""GDPR: what the operator holds on a contact (art. 15 and 20), erasure (art. 17), retention.

The core never imports the apps: each app registers, from its AppConfig.ready(), a section with
an export function (contact -> JSON-ready data) and an erase function (contact -> None) that
anonymises its own rows while keeping the numbers reports count. Erasure runs every app's
section first and the core's last, so an app can still find rows by the contact's e-mail.
Retention functions (now -> count) are registered the same way and run daily by a periodic task.

    from tracker.security.privacy import register
    register(name="complaints", export=complaints_export, erase=complaints_erase, retain=complaints_retain)
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.customers.models import Contact

logger = logging.getLogger(__name__)

ERASED_NAME = "Erased contact"


@dataclass(frozen=True)
class Section:
    name: str
    export: Callable[[Contact], Any]
    erase: Callable[[Contact], None]
    retain: Callable[[datetime], int] | None = None
    core: bool = False


_sections: dict[str, Section] = {}


def register(
    *,
    name: str,
    export: Callable[[Contact], Any],
    erase: Callable[[Contact], None],
    retain: Callable[[datetime], int] | None = None,
    core: bool = False,
) -> None:
    """Register (or replace) one app's personal-data section. Idempotent."""
    _sections[name] = Section(name=name, export=export, erase=erase, retain=retain, core=core)


def sections() -> list[Section]:
    # Apps first, the core last (erasure order).
    return sorted(_sections.values(), key=lambda s: (s.core, s.name))


def erased_email(contact_id: int) -> str:
    return f"erased-{contact_id}@invalid"


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """Everything held on one contact, by section, ready for json.dumps."""
    return {
        "format": "outage-tracker-personal-data/1",
        "exported_at": timezone.now().isoformat(),
        "contact_id": contact.pk,
        "sections": {section.name: section.export(contact) for section in sections()},
    }


@transaction.atomic
def contact_erase(*, contact: Contact) -> None:
    """Anonymise the contact everywhere; rows stay so reports keep their counts."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    for section in sections():
        section.erase(contact)
    logger.info("privacy: contact %s erased", contact.pk)


def contacts_for_email(email: str):
    return Contact.objects.filter(email__iexact=email.strip()).order_by("pk")


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """Run every registered retention rule; returns the number of rows touched per section."""
    now = now or timezone.now()
    done = {}
    for section in sections():
        if section.retain is not None:
            with transaction.atomic():
                done[section.name] = section.retain(now)
    logger.info("privacy: retention applied %s", done)
    return done


# --- The core's own sections ----------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _export_contact(contact: Contact) -> dict[str, Any]:
    business = contact.business
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": str(contact.phone) if contact.phone else "",
        "language": contact.language,
        "business": {"company_name": business.company_name, "customer_number": business.customer_number}
        if business
        else None,
        "is_business_admin": contact.is_business_admin,
        "wants_email": contact.wants_email,
        "wants_sms": contact.wants_sms,
        "muted_kinds": contact.muted_kinds,
        "unsubscribed_at": _iso(contact.unsubscribed_at),
        "created_at": _iso(contact.created_at),
    }


def _erase_contact(contact: Contact) -> None:
    contact.name = ERASED_NAME
    contact.email = erased_email(contact.pk)
    contact.phone = ""
    contact.wants_email = False
    contact.wants_sms = False
    contact.muted_kinds = []
    contact.unsubscribed_at = contact.unsubscribed_at or timezone.now()
    contact.save(update_fields=["name", "email", "phone", "wants_email", "wants_sms", "muted_kinds", "unsubscribed_at"])


def _export_account(contact: Contact) -> dict[str, Any] | None:
    user = contact.user
    if user is None:
        return None
    return {
        "username": user.get_username(),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "two_step_verification": _has_devices(user),
    }


def _has_devices(user) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def _erase_account(contact: Contact) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp import devices_for_user

    user = contact.user
    if user is None:
        return
    names = {user.get_username(), user.email, contact.email} - {""}
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=names).delete()
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    user.username = f"erased-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    # An inactive user's sessions no longer authenticate (ModelBackend.get_user refuses it).
    user.save()


def _export_deliveries(contact: Contact) -> list[dict[str, Any]]:
    from tracker.notifications.models import Delivery

    return [
        {
            "kind": kind,
            "channel": channel,
            "status": status,
            "created_at": _iso(created_at),
            "sent_at": _iso(sent_at),
        }
        for kind, channel, status, created_at, sent_at in Delivery.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("job__kind", "channel", "status", "created_at", "sent_at")
    ]


def _erase_deliveries(contact: Contact) -> None:
    from tracker.notifications.models import Delivery

    # Error texts and provider ids may quote the address; the rows stay for delivery statistics.
    Delivery.objects.filter(contact=contact).update(last_error="", reason="", provider_message_id="")


def _retain_core(now: datetime) -> int:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from tracker.notifications.models import Delivery

    days = settings.PRIVACY_RETENTION_DAYS
    touched = 0
    touched += AccessAttempt.objects.filter(attempt_time__lt=now - timedelta(days=days["login_attempts"])).delete()[0]
    for model in (AccessLog, AccessFailureLog):
        touched += model.objects.filter(attempt_time__lt=now - timedelta(days=days["login_log"])).delete()[0]
    touched += (
        Delivery.objects.filter(created_at__lt=now - timedelta(days=days["delivery_details"]))
        .exclude(last_error="", provider_message_id="")
        .update(last_error="", provider_message_id="")
    )
    # Public status-page subscribers who left long ago are erased.
    gone = Contact.objects.filter(
        business__isnull=True, unsubscribed_at__lt=now - timedelta(days=days["unsubscribed_subscribers"])
    ).exclude(name=ERASED_NAME)
    for contact in gone:
        contact_erase(contact=contact)
        touched += 1
    return touched


def register_core() -> None:
    register(name="contact", export=_export_contact, erase=_erase_contact, core=True, retain=_retain_core)
    register(name="account", export=_export_account, erase=_erase_account, core=True)
    register(name="deliveries", export=_export_deliveries, erase=_erase_deliveries, core=True)
