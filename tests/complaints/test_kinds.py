import pytest

from complaints import services
from complaints.kinds import complaint_update
from complaints.models import Status
from tests.complaints.factories import ComplaintFactory
from tests.factories import ContactFactory
from tracker.notifications.models import NotificationJob

pytestmark = pytest.mark.django_db


def test_audience_is_the_filer_and_the_business_admins(contact, admin_contact, agent):
    ContactFactory(business=contact.business)  # a colleague who cannot see the complaint
    ContactFactory(is_business_admin=True)  # another business's admin
    complaint = ComplaintFactory(business=contact.business, contact=contact, subscription__business=contact.business)
    services.complaint_transition(complaint_id=complaint.pk, to_status=Status.TRIAGED, actor=agent)
    job = NotificationJob.objects.get()

    assert set(complaint_update.audience(job)) == {contact, admin_contact}


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("en", "Complaint {ref}: Waiting for customer", "To help you, we need more details"),
        ("fr", "{ref}", ""),
    ],
)
def test_message_is_rendered_per_language_with_the_canned_answer(agent, language, subject, phrase):
    complaint = ComplaintFactory()
    services.complaint_transition(
        complaint_id=complaint.pk, to_status=Status.WAITING, actor=agent, canned="need_details"
    )
    job = NotificationJob.objects.get()

    message = complaint_update.render(job, language=language)

    assert subject.format(ref=complaint.reference) in message.subject
    assert phrase in message.text
    assert f"/complaints/{complaint.reference}/" in message.text
    assert message.payload == {
        "type": "complaint.update",
        "reference": complaint.reference,
        "status": "waiting",
        "event": "status",
        "url": message.payload["url"],
    }
    assert complaint.reference in message.sms


def test_internal_note_is_never_rendered(agent):
    complaint = ComplaintFactory()
    note = services.complaint_note(complaint_id=complaint.pk, actor=agent, body="secret")
    job = NotificationJob(kind="complaint.update", params={"complaint_id": complaint.pk, "event_id": note.pk})

    message = complaint_update.render(job, language="en")

    assert (message.subject, message.text) == ("", "")
