"""E-mails the incidents app sends itself: visitors' confirmation links and staff reminders.

Everything addressed to the audience of an incident goes through the
notification engine instead (see notifications.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tracker.customers.roles import AGENT

from .models import StatusSubscription
from .services import incident_update_reminders_mark

CONFIRMATION_EVERY = 600  # seconds between two confirmation e-mails of one subscription


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def subscription_confirmation_send(*, subscription_id: int, language: str) -> bool:
    """E-mail the confirmation link; False when the row is gone, confirmed or recently mailed."""
    subscription = (
        StatusSubscription.objects.select_related("contact", "service", "region").filter(pk=subscription_id).first()
    )
    if subscription is None or subscription.confirmed_at is not None or not subscription.contact.email:
        return False
    if not cache.add(f"incidents:subscription-mail:{subscription.pk}", 1, CONFIRMATION_EVERY):
        return False
    with translation.override(language):
        context = {
            "service": subscription.service.localized_name(language),
            "region": subscription.region,
            "confirm_url": _absolute(reverse("incidents:subscription-confirm", args=[subscription.token])),
            "cancel_url": _absolute(reverse("incidents:subscription-cancel", args=[subscription.token])),
        }
        subject = render_to_string("incidents/email/subscription_confirm_subject.txt", context).strip()
        text = render_to_string("incidents/email/subscription_confirm.txt", context)
        html = render_to_string("incidents/email/subscription_confirm.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [subscription.contact.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def overdue_update_reminders_send() -> int:
    """E-mail the agents once per promised time that passed without an update; returns incidents reminded."""
    incidents = incident_update_reminders_mark()
    if not incidents:
        return 0
    recipients = sorted(
        set(
            get_user_model()
            .objects.filter(groups__name=AGENT, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
    if not recipients:
        return len(incidents)
    with translation.override(settings.LANGUAGE_CODE):
        for incident in incidents:
            context = {
                "incident": incident,
                "admin_url": _absolute(reverse("admin:incidents_incident_change", args=[incident.pk])),
            }
            subject = render_to_string("incidents/email/update_overdue_subject.txt", context).strip()
            text = render_to_string("incidents/email/update_overdue.txt", context)
            EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients).send()
    return len(incidents)
