"""Complaints: what a business reports, how staff handle it, and its history.

Allowed status changes live next to the status choices (TRANSITIONS) and are
enforced by complaints.workflow; every change is a ComplaintEvent that nobody
can edit or delete.
"""

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Contact, Currency, Region, Service, Subscription
from tracker.incidents.models import Incident


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for customer")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


OPEN_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING})
CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.REJECTED, Status.DUPLICATE})

# The one table of allowed status changes. Leaving a closed status is a reopen
# and is only allowed within COMPLAINTS_REOPEN_DAYS (checked by the workflow).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.REJECTED,
                           Status.DUPLICATE}),
    Status.TRIAGED: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS}),
    Status.REJECTED: frozenset({Status.IN_PROGRESS}),
    Status.DUPLICATE: frozenset({Status.IN_PROGRESS}),
}  # fmt: skip
# Changes that must carry a reason.
REASON_REQUIRED = frozenset({Status.REJECTED})


class Category(models.TextChoices):
    NO_DIAL_TONE = "no_dial_tone", _("No dial tone")
    CALLS_DROP = "calls_drop", _("Calls drop")
    CANNOT_RECEIVE_EMAIL = "cannot_receive_email", _("Cannot receive e-mail")
    CANNOT_SEND_EMAIL = "cannot_send_email", _("Cannot send e-mail")
    SLOW = "slow", _("Slow")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Complaint(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, editable=False)
    # A hidden token of the form: a double submit finds the first complaint instead of making a second.
    submission_token = models.UUIDField(_("submission token"), unique=True, default=uuid.uuid4, editable=False)
    # Foreign keys that lead a (column, -id) index below need no index of their own: db_index=False.
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("business"), db_index=False
    )
    contact = models.ForeignKey(
        Contact,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("filed by"),
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("subscription"),
    )
    # Copied from the subscription: the filters and spike detection read them without a join.
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("service"), db_index=False
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("region"), db_index=False
    )
    site_label = models.CharField(_("site"), max_length=100, blank=True)
    category = models.CharField(_("what fails"), max_length=30, choices=Category.choices)
    since = models.DateTimeField(_("since"))
    description = models.TextField(_("description"), max_length=5000)
    loss_amount = models.DecimalField(
        _("estimated loss"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10_000_000)],
    )
    loss_currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_complaints",
        verbose_name=_("assignee"),
        db_index=False,
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("incident"),
        db_index=False,
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )

    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # SLA: due times from priority and tier, shifted by the time spent waiting for the customer.
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # The next due time that matters (first response, then resolution); null when closed or paused.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused since"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("SLA warning sent"), null=True, blank=True)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)
    has_loss = models.BooleanField(_("has loss"), default=False, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [("triage_complaint", _("Can triage complaints"))]
        indexes = [
            # Each filter of the triage list, followed by its default ordering.
            models.Index(fields=["status", "-id"], name="complaint_status_id"),
            models.Index(fields=["service", "-id"], name="complaint_service_id"),
            models.Index(fields=["region", "-id"], name="complaint_region_id"),
            models.Index(fields=["incident", "-id"], name="complaint_incident_id"),
            models.Index(fields=["priority", "-id"], name="complaint_priority_id"),
            models.Index(fields=["assignee", "-id"], name="complaint_assignee_id"),
            models.Index(fields=["business", "-id"], name="complaint_business_id"),
            # Breached complaints are the hot queue and a small share of the table: partial indexes serve it
            # alone and with the filters it is combined with, without visiting the rows that did not breach.
            models.Index(fields=["-id"], condition=models.Q(sla_breached=True), name="complaint_breached_id"),
            models.Index(
                fields=["status", "-id"], condition=models.Q(sla_breached=True), name="complaint_breached_status_id"
            ),
            models.Index(
                fields=["business", "-id"], condition=models.Q(sla_breached=True), name="complaint_breached_business_id"
            ),
            models.Index(fields=["has_loss", "-id"], name="complaint_loss_id"),
            models.Index(fields=["sla_due_at"], name="complaint_sla_due"),
            # Spike detection: the last windows' complaints, and one pair's past weeks for the baseline.
            models.Index(fields=["created_at"], name="complaint_created"),
            models.Index(fields=["service", "region", "created_at"], name="complaint_spike"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(loss_amount__isnull=True) | models.Q(loss_amount__gte=0),
                name="complaint_loss_not_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="complaint_duplicate_has_primary",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or _("complaint #%(id)s") % {"id": self.pk}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("Complaint history cannot be changed.")

    def delete(self):
        raise PermissionDenied("Complaint history cannot be deleted.")


class ComplaintEvent(models.Model):
    """One entry of a complaint's history. Written once, never changed."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        STATUS = "status", _("Status changed")
        REPLY = "reply", _("Reply from the operator")
        CUSTOMER_REPLY = "customer_reply", _("Reply from the customer")
        NOTE = "note", _("Internal note")
        ASSIGNED = "assigned", _("Assigned")
        PRIORITY = "priority", _("Priority changed")
        LINKED = "linked", _("Linked to incident")
        MERGED = "merged", _("Marked as duplicate")
        UNMERGED = "unmerged", _("Duplicate undone")
        FILE = "file", _("File added")
        SLA_BREACHED = "sla_breached", _("SLA breached")

    # Indexed by complaint_event_timeline (complaint, id).
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="events", verbose_name=_("complaint"), db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    # Reason of a status change, text of a reply or a note.
    body = models.TextField(_("text"), max_length=5000, blank=True)
    # Shown to the customer (and notified) or internal.
    is_public = models.BooleanField(_("public"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        indexes = [models.Index(fields=["complaint", "id"], name="complaint_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise PermissionDenied("Complaint history cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Complaint history cannot be deleted.")

    def display_body(self) -> str:
        """The text in the current language: a canned answer is translated for each reader."""
        key = (self.data or {}).get("canned")
        if not key:
            return self.body
        from .canned import canned_text

        parts = (self.data.get("reason", ""), canned_text(key), self.data.get("extra", ""))
        return "\n\n".join(part for part in parts if part)


def _evidence_path(instance, filename: str) -> str:
    # The name is random; the original name is kept in a column, never on disk.
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(instance.content_type, "bin")
    return f"complaints/{uuid.uuid4().hex}.{extension}"


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("complaint")
    )
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


class ComplaintSpike(models.Model):
    """A surge of complaints for one service and region with no incident covering it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", verbose_name=_("service"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region"))
    detected_at = models.DateTimeField(_("detected"), auto_now_add=True)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    businesses = models.PositiveIntegerField(_("businesses complaining"))
    previous_businesses = models.PositiveIntegerField(_("businesses in the previous window"))
    baseline = models.FloatField(_("baseline"))
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaint_spikes",
        verbose_name=_("suspected incident"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    alert_sent_at = models.DateTimeField(_("alert sent"), null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        verbose_name = _("complaint spike")
        verbose_name_plural = _("complaint spikes")
        indexes = [models.Index(fields=["acknowledged_at"], name="complaint_spike_open")]

    def __str__(self) -> str:
        return _("%(service)s in %(region)s: %(count)s businesses") % {
            "service": self.service,
            "region": self.region,
            "count": self.businesses,
        }


class LinkProposal(models.Model):
    """Open complaints that match an incident when it was declared or widened, for an agent to link or not.

    The proposed complaints are stored (LinkProposalItem): the agent confirms exactly the set that was
    counted and shown, the review pages read only this set, and a widening proposal never repeats the
    complaints of an earlier one.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    class Reason(models.TextChoices):
        DECLARED = "declared", _("Incident declared")
        WIDENED = "widened", _("Incident widened")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="link_proposals", verbose_name=_("incident")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    # The services and regions the incident newly covered (all of them when declared).
    service_ids = models.JSONField(_("services added"), default=list, blank=True)
    region_ids = models.JSONField(_("regions added"), default=list, blank=True)
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    complaint_count = models.PositiveIntegerField(_("complaints proposed"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # On confirmation: how many were still open and unlinked, and so linked.
    linked_count = models.PositiveIntegerField(_("complaints linked"), null=True, blank=True)
    complaints = models.ManyToManyField(
        Complaint, through="LinkProposalItem", related_name="+", verbose_name=_("complaints")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("link proposal")
        verbose_name_plural = _("link proposals")
        indexes = [models.Index(fields=["state", "-created_at"], name="linkproposal_state_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"], condition=models.Q(reason="declared"), name="linkproposal_one_per_declaration"
            ),
        ]

    def __str__(self) -> str:
        return _("%(count)s complaints for %(incident)s") % {"count": self.complaint_count, "incident": self.incident}


class LinkProposalItem(models.Model):
    proposal = models.ForeignKey(
        LinkProposal, on_delete=models.CASCADE, related_name="items", verbose_name=_("proposal")
    )
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="+", verbose_name=_("complaint"))

    class Meta:
        verbose_name = _("proposed complaint")
        verbose_name_plural = _("proposed complaints")
        constraints = [
            # Also the index of the review page: one proposal's complaints in id order.
            models.UniqueConstraint(fields=["proposal", "complaint"], name="linkproposalitem_once"),
        ]

    def __str__(self) -> str:
        return str(self.complaint_id)
