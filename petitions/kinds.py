"""Message kinds the petitions app sends through the notification engine (to business contacts)."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tracker.customers.models import Contact
from tracker.notifications.kinds import Message, MessageKind

COMPENSATION_OFFERED = "petitions.compensation_offered"


class CompensationOffered(MessageKind):
    """A compensation offer is waiting for the business's answer in its portal."""

    key = COMPENSATION_OFFERED
    category = "compensation"

    def _decision(self, job):
        from .models import CompensationDecision

        return (
            CompensationDecision.objects.select_related("incident", "business")
            .filter(pk=job.params.get("decision_id"))
            .first()
        )

    def audience(self, job):
        decision = self._decision(job)
        if decision is None:
            return Contact.objects.none()
        return Contact.objects.filter(business_id=decision.business_id, unsubscribed_at__isnull=True)

    def render(self, job, *, language):
        from django.conf import settings

        decision = self._decision(job)
        with translation.override(language):
            context = {
                "decision": decision,
                "portal_url": f"{settings.SITE_URL}{reverse('petitions:compensation')}",
            }
            subject = render_to_string("petitions/email/offer_subject.txt", context).strip()
            text = render_to_string("petitions/email/offer.txt", context)
            sms = render_to_string("petitions/email/offer_sms.txt", context).strip()
        return Message(
            subject=" ".join(subject.split()),
            text=text,
            sms=sms,
            payload={
                "event": "compensation.offered",
                "decision": decision.pk if decision else None,
                "incident": decision.incident_id if decision else None,
                "amount": str(decision.offered_amount) if decision else None,
                "currency": decision.currency if decision else None,
            },
        )
