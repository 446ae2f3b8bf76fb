"""Service-level targets: first response and resolution due times.

Hours by priority, scaled by the business's tier; the clock stops while the
complaint waits for the customer (the due times move by the paused time).
"""

from datetime import datetime, timedelta

from .models import Complaint, Priority, Status

FIRST_RESPONSE_HOURS = {Priority.URGENT: 1, Priority.HIGH: 4, Priority.NORMAL: 8, Priority.LOW: 24}
RESOLUTION_HOURS = {Priority.URGENT: 8, Priority.HIGH: 24, Priority.NORMAL: 72, Priority.LOW: 120}
TIER_FACTOR = {"premium": 0.5, "business": 0.75, "standard": 1.0}


def due_times(*, priority: str, tier: str, start: datetime) -> tuple[datetime, datetime]:
    factor = TIER_FACTOR.get(tier, 1.0)
    return (
        start + timedelta(hours=FIRST_RESPONSE_HOURS[priority] * factor),
        start + timedelta(hours=RESOLUTION_HOURS[priority] * factor),
    )


def next_due(complaint: Complaint) -> datetime | None:
    """The due time that matters now; None when closed or paused."""
    if complaint.status not in {Status.NEW, Status.TRIAGED, Status.IN_PROGRESS} or complaint.sla_paused_at:
        return None
    if complaint.first_responded_at is None:
        return complaint.first_response_due_at
    return complaint.resolution_due_at


def pause(complaint: Complaint, *, now: datetime) -> None:
    if complaint.sla_paused_at is None:
        complaint.sla_paused_at = now


def resume(complaint: Complaint, *, now: datetime) -> None:
    if complaint.sla_paused_at is None:
        return
    paused = now - complaint.sla_paused_at
    if complaint.first_response_due_at and complaint.first_responded_at is None:
        complaint.first_response_due_at += paused
    if complaint.resolution_due_at:
        complaint.resolution_due_at += paused
    complaint.sla_paused_at = None


def reprioritize(complaint: Complaint, *, tier: str) -> None:
    """New priority: due times counted again from the filing time."""
    first, resolution = due_times(priority=complaint.priority, tier=tier, start=complaint.created_at)
    complaint.first_response_due_at = first
    complaint.resolution_due_at = resolution
