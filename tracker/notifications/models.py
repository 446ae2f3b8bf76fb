"""Outbox of notifications: a job per event, a delivery row per contact and channel."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Channel, Contact

from .validators import validate_webhook_url


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
    # When a send_batch task covering this row was last put on the queue: the sweeper leaves the
    # row to that task until NOTIFY_REQUEUE_AFTER_SECONDS have passed (a long queue is not a loss).
    enqueued_at = models.DateTimeField(_("batch enqueued"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # Why this channel was chosen or skipped, e.g. "e-mail down: Fixed e-mail outage".
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    # Set when a worker lost its lease while sending: the provider may have accepted the
    # message before the worker died, so a retry may be a duplicate (same idempotency key).
    maybe_sent = models.BooleanField(
        _("possibly sent before"),
        default=False,
        help_text=_("A worker stopped after handing the message over and before recording it."),
    )
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


def _webhook_secret() -> str:
    # Standard Webhooks secrets: "whsec_" and base64 of 24 to 64 random bytes.
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """Where a business receives signed webhook events (Standard Webhooks)."""

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="webhook_endpoint", verbose_name=_("business")
    )
    url = models.URLField(
        _("URL"),
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("An https address on the public internet."),
    )
    secret = models.CharField(_("signing secret"), max_length=100, default=_webhook_secret)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(
        _("disabled"), null=True, blank=True, help_text=_("Set after repeated failures; clear it to enable again.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["business_id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    @property
    def is_active(self) -> bool:
        return self.disabled_at is None
