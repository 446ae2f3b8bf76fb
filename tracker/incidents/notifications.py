"""What the notification engine sends about incidents, and to whom.

Registered in IncidentsConfig.ready(). The engine calls audience() once per
job and render() once per language; both stay a handful of queries.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from tracker.customers.models import Contact, Subscription
from tracker.notifications.kinds import Message, MessageKind

from .models import Correction, Incident, IncidentUpdate
from .selectors import incident_affected_subscriptions, incident_audience

SMS_MAX = 300


def incident_url(incident: Incident) -> str:
    return f"{settings.SITE_URL}{reverse('incidents:detail', args=[incident.pk])}"


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else ""


def _incident_payload(incident: Incident) -> dict:
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "services": [s.slug for s in incident.services.all()],
        "regions": [r.code for r in incident.regions.all()],
        "started_at": incident.started_at.isoformat(),
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "restored_percent": incident.restored_percent,
        "next_update_due_at": incident.next_update_due_at.isoformat() if incident.next_update_due_at else None,
        "url": incident_url(incident),
    }


def _load_incident(incident_id: int) -> Incident:
    return Incident.objects.prefetch_related("services", "regions").get(pk=incident_id)


class IncidentUpdateKind(MessageKind):
    key = "incident.update"
    category = "incident"

    def _update(self, job) -> IncidentUpdate:
        return IncidentUpdate.objects.select_related("incident").get(pk=job.params["update_id"])

    def audience(self, job) -> QuerySet[Contact]:
        return incident_audience(incident=self._update(job).incident)

    def broken_subscriptions(self, job) -> QuerySet[Subscription] | None:
        update = self._update(job)
        if update.status == Incident.Status.RESOLVED:
            return None  # restored: every channel works again
        return incident_affected_subscriptions(incident=update.incident)

    def render(self, job, *, language: str) -> Message:
        update = self._update(job)
        incident = _load_incident(update.incident_id)
        with translation.override(language):
            services = ", ".join(s.localized_name(language) for s in incident.services.all())
            context = {
                "incident": incident,
                "update": update,
                "status": Incident.Status(update.status).label,
                "text": update.message_in(language),
                "services": services,
                "regions": ", ".join(str(r) for r in incident.regions.all()),
                "published": _when(update.published_at),
                "next_update": _when(incident.next_update_due_at),
                "url": incident_url(incident),
            }
            subject = _("[%(status)s] %(title)s") % {"status": context["status"], "title": incident.title}
            text = render_to_string("incidents/email/incident_update.txt", context)
            html = render_to_string("incidents/email/incident_update.html", context)
            sms = _("%(title)s (%(status)s): %(text)s %(url)s") % {
                "title": Truncator(incident.title).chars(60),
                "status": context["status"],
                "text": Truncator(context["text"]).chars(140),
                "url": context["url"],
            }
        payload = {
            "event": self.key,
            "incident": _incident_payload(incident),
            "update": {
                "id": update.pk,
                "status": update.status,
                "message": context["text"],
                "language": language if language in update.translations else update.language,
                "published_at": update.published_at.isoformat(),
            },
        }
        return Message(subject=subject, text=text, html=html, sms=sms[:SMS_MAX], payload=payload)


class IncidentCorrectionKind(MessageKind):
    key = "incident.correction"
    category = "incident"

    def audience(self, job) -> QuerySet[Contact]:
        return incident_audience(incident=Incident.objects.get(pk=job.params["incident_id"]))

    def render(self, job, *, language: str) -> Message:
        incident = _load_incident(job.params["incident_id"])
        corrections = list(
            Correction.objects.filter(pk__in=job.params["correction_ids"], incident=incident).order_by("pk")
        )
        with translation.override(language):
            context = {
                "incident": incident,
                "corrections": [
                    {"field": c.get_field_display(), "previous": c.previous_value, "new": c.new_value}
                    for c in corrections
                ],
                "corrected": _when(corrections[0].corrected_at) if corrections else "",
                "url": incident_url(incident),
            }
            subject = _("Correction: %(title)s") % {"title": incident.title}
            text = render_to_string("incidents/email/incident_correction.txt", context)
            html = render_to_string("incidents/email/incident_correction.html", context)
            sms = _("Correction to %(title)s: %(url)s") % {
                "title": Truncator(incident.title).chars(80),
                "url": context["url"],
            }
        payload = {
            "event": self.key,
            "incident": _incident_payload(incident),
            "corrections": [
                {
                    "field": c.field,
                    "previous": c.previous_value,
                    "new": c.new_value,
                    "corrected_at": c.corrected_at.isoformat(),
                }
                for c in corrections
            ],
        }
        return Message(subject=subject, text=text, html=html, sms=sms[:SMS_MAX], payload=payload)
