"""Outbox of notifications: a job per event, a delivery row per contact and channel."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Channel, Contact


class NotificationJob(models.Model):
    """What to send (a registered message kind and its params) and to whom (its audience)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be expanded")
        EXPANDED = "expanded", _("Sending")
        DONE = "done", _("Done")

    kind = models.CharField(_("kind"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Lets a caller create a job at most once per event (e.g. "incident-update:42").
    dedupe_key = models.CharField(_("deduplication key"), max_length=120, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    expanded_at = models.DateTimeField(_("expanded"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last delivery"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification job")
        verbose_name_plural = _("notification jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Delivery(models.Model):
    """One message to one contact on one channel. Never sent twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    job = models.ForeignKey(NotificationJob, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("job"))
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("contact"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A worker owns a row in SENDING until this time; after it, the sweeper takes it back.
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Why this channel was chosen or skipped, e.g. "e-mail down: Fixed e-mail outage".
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["job", "contact", "channel"], name="delivery_once_per_contact_channel"),
        ]
        indexes = [
            models.Index(fields=["job", "status"], name="delivery_job_status"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.contact_id} ({self.get_status_display()})"
