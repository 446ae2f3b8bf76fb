from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from complaints.alerts import sla_check
from complaints.models import Complaint
from tests.complaints.factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def test_breaches_are_flagged_once_and_recorded(agent):
    overdue = ComplaintFactory(sla_due_at=timezone.now() - timedelta(minutes=1))
    fine = ComplaintFactory(sla_due_at=timezone.now() + timedelta(hours=5))

    assert sla_check() == (1, 0)
    assert sla_check() == (0, 0)

    overdue.refresh_from_db()
    fine.refresh_from_db()
    assert (overdue.sla_breached, fine.sla_breached) == (True, False)
    event = overdue.events.get()
    assert (event.kind, event.is_public, event.data["which"]) == ("sla_breached", False, "first_response")
    assert Complaint.objects.filter(sla_breached=True).count() == 1


def test_agents_are_warned_before_a_breach_once(agent, settings):
    settings.COMPLAINTS_SLA_WARN_MINUTES = 60
    soon_assigned = ComplaintFactory(sla_due_at=timezone.now() + timedelta(minutes=30), assignee=agent)
    soon_unassigned = ComplaintFactory(sla_due_at=timezone.now() + timedelta(minutes=40))
    ComplaintFactory(sla_due_at=timezone.now() + timedelta(hours=3))

    assert sla_check() == (0, 2)
    assert sla_check() == (0, 0)

    assert len(mail.outbox) == 1  # the agent is both the assignee and the team: one e-mail each group
    assert mail.outbox[0].to == ["agent@operator.example"]
    assert soon_assigned.reference in mail.outbox[0].body or soon_unassigned.reference in mail.outbox[0].body


def test_breaches_are_counted_per_incident():
    from complaints.selectors import complaint_sla_counts
    from tests.complaints.factories import IncidentFactory

    incident = IncidentFactory()
    ComplaintFactory(incident=incident, sla_breached=True)
    ComplaintFactory(incident=incident, status="resolved")
    ComplaintFactory(sla_breached=True)

    assert complaint_sla_counts(incident_id=incident.pk) == {"total": 2, "breached": 1, "open": 1}
    assert complaint_sla_counts() == {"total": 3, "breached": 2, "open": 2}
