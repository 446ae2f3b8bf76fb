"""The complaint messages the notification engine sends: one kind, "complaint.update"."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from tracker.customers.models import Contact
from tracker.notifications.kinds import Message, MessageKind

from .models import Complaint, ComplaintEvent


class ComplaintUpdateKind(MessageKind):
    """A public change of a complaint: filed, status changed, reply from the operator."""

    key = "complaint.update"
    category = "complaint"

    def _objects(self, job) -> tuple[Complaint | None, ComplaintEvent | None]:
        complaint = (
            Complaint.objects.select_related("service", "business").filter(pk=job.params.get("complaint_id")).first()
        )
        event = ComplaintEvent.objects.filter(pk=job.params.get("event_id"), is_public=True).first()
        return complaint, event

    def audience(self, job):
        """The filer and the business's admins: exactly who can see the complaint."""
        complaint = Complaint.objects.filter(pk=job.params.get("complaint_id")).values("business_id", "contact_id")
        row = complaint.first()
        if row is None:
            return Contact.objects.none()
        return Contact.objects.filter(business_id=row["business_id"]).filter(
            Q(pk=row["contact_id"]) | Q(is_business_admin=True)
        )

    def render(self, job, *, language: str) -> Message:
        complaint, event = self._objects(job)
        if complaint is None or event is None:
            return Message(subject="", text="")
        with override(language):
            url = settings.SITE_URL + reverse("complaints:detail", args=[complaint.reference])
            context = {
                "complaint": complaint,
                "event": event,
                "service": complaint.service.localized_name(language),
                "status": complaint.get_status_display(),
                "to_status": event.get_to_status_display() if event.to_status else "",
                "url": url,
            }
            if event.kind == ComplaintEvent.Kind.FILED:
                subject = _("Complaint %(ref)s received") % {"ref": complaint.reference}
                sms = _("Your complaint %(ref)s was received. %(url)s") % {"ref": complaint.reference, "url": url}
            elif event.kind == ComplaintEvent.Kind.STATUS:
                subject = _("Complaint %(ref)s: %(status)s") % {
                    "ref": complaint.reference,
                    "status": context["to_status"],
                }
                sms = _("Complaint %(ref)s is now: %(status)s. %(url)s") % {
                    "ref": complaint.reference,
                    "status": context["to_status"],
                    "url": url,
                }
            else:
                subject = _("Complaint %(ref)s: new reply") % {"ref": complaint.reference}
                sms = _("New reply on your complaint %(ref)s. %(url)s") % {"ref": complaint.reference, "url": url}
            text = render_to_string("complaints/email/update.txt", context)
            html = render_to_string("complaints/email/update.html", context)
        return Message(
            subject=subject,
            text=text,
            html=html,
            sms=sms,
            payload={
                "type": "complaint.update",
                "reference": complaint.reference,
                "status": complaint.status,
                "event": event.kind,
                "url": url,
            },
        )


complaint_update = ComplaintUpdateKind()
