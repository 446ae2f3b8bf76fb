"""A message kind for the engine's tests, so they depend on no other app.

Imported by the tests and by worker subprocesses (celery worker -I tests.notifications.kinds).
"""

from tracker.customers.models import Contact, Subscription
from tracker.notifications.kinds import Message, MessageKind, register

SUBJECTS = {"fr": "Panne en cours", "de": "Aktuelle Störung", "it": "Guasto in corso", "en": "Ongoing outage"}


class OutageNoticeKind(MessageKind):
    """params: business_ids, down_service_ids (optional), note (staff text) and note_translations."""

    key = "test.outage_notice"
    category = "incident"

    def audience(self, job):
        return Contact.objects.filter(business_id__in=job.params.get("business_ids", []))

    def render(self, job, *, language):
        note = job.params.get("note_translations", {}).get(language) or job.params.get("note", "")
        subject = SUBJECTS[language]
        return Message(
            subject=subject,
            text=f"{subject} [{language}]\n{note}",
            html=f"<p>{subject} [{language}]</p><p>{note}</p>",
            sms=f"{subject} [{language}]",
            payload={"job": job.pk, "language": language},
        )

    def broken_subscriptions(self, job):
        if "down_service_ids" not in job.params:
            return None
        return Subscription.objects.filter(service_id__in=job.params["down_service_ids"])


OUTAGE_NOTICE = register(OutageNoticeKind())
