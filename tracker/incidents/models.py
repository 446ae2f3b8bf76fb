"""Outages: what is down, where, since when, and what the public was told."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Contact, Language, Region, Service


class Incident(models.Model):
    class Status(models.TextChoices):
        SUSPECTED = "suspected", _("Suspected")
        INVESTIGATING = "investigating", _("Investigating")
        IDENTIFIED = "identified", _("Identified")
        MONITORING = "monitoring", _("Monitoring")
        RESOLVED = "resolved", _("Resolved")

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    # Any status may follow any other, except that a declared incident is never "suspected" again.
    ALLOWED_TRANSITIONS = {
        Status.SUSPECTED: {
            Status.SUSPECTED,
            Status.INVESTIGATING,
            Status.IDENTIFIED,
            Status.MONITORING,
            Status.RESOLVED,
        },
        Status.INVESTIGATING: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
        Status.IDENTIFIED: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
        Status.MONITORING: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
        # Reopening: the outage came back.
        Status.RESOLVED: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
    }

    title = models.CharField(_("title"), max_length=200)
    services = models.ManyToManyField(Service, related_name="incidents", verbose_name=_("affected services"))
    regions = models.ManyToManyField(Region, related_name="incidents", verbose_name=_("affected regions"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.INVESTIGATING, db_index=True
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    started_at = models.DateTimeField(_("started"), help_text=_("When the outage began."))
    detected_at = models.DateTimeField(_("detected"), null=True, blank=True)
    # Null while suspected: nothing has been declared to the public yet.
    declared_at = models.DateTimeField(_("declared"), null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    restored_percent = models.PositiveSmallIntegerField(
        _("share restored (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    next_update_due_at = models.DateTimeField(_("next update by"), null=True, blank=True)
    # The due time staff were last reminded about: one reminder per promised time.
    reminder_sent_for = models.DateTimeField(_("reminder sent for"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(restored_percent__gte=0, restored_percent__lte=100),
                name="incident_restored_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED

    @property
    def is_public(self) -> bool:
        return self.declared_at is not None


class IncidentUpdate(models.Model):
    """One entry of the public timeline, written in one language, optionally translated."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates", verbose_name=_("incident"))
    status = models.CharField(_("status"), max_length=20, choices=Incident.Status.choices)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("written in"), max_length=2, choices=Language.choices, default=Language.EN)
    # Staff translations, e.g. {"fr": "...", "de": "..."}.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    published_at = models.DateTimeField(_("published"), db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    notify = models.BooleanField(_("notify the audience"), default=True)
    notification_job = models.ForeignKey(
        "notifications.NotificationJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("notification job"),
    )

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")
        indexes = [models.Index(fields=["incident", "published_at"], name="incidentupdate_incident_pub")]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:50]}"

    def message_in(self, language: str) -> str:
        """The staff translation for this language, else the text as written."""
        return self.translations.get(language) or self.message


class Correction(models.Model):
    """A public edit that keeps what was shown before: corrections are made in the open."""

    class Field(models.TextChoices):
        TITLE = "title", _("Title")
        SERVICES = "services", _("Affected services")
        REGIONS = "regions", _("Affected regions")
        SEVERITY = "severity", _("Severity")
        STARTED_AT = "started_at", _("Started")
        UPDATE_MESSAGE = "update_message", _("Update text")

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("incident")
    )
    update = models.ForeignKey(
        IncidentUpdate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("update"),
    )
    field = models.CharField(_("field"), max_length=20, choices=Field.choices)
    previous_value = models.TextField(_("previously"), max_length=5000)
    new_value = models.TextField(_("now"), max_length=5000)
    corrected_at = models.DateTimeField(_("corrected"), db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    notified = models.BooleanField(_("notified"), default=False)

    class Meta:
        ordering = ["-corrected_at", "-id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.previous_value[:40]} -> {self.new_value[:40]}"


class RestorationSnapshot(models.Model):
    """Share of affected customers restored at a time, overall (no region) or for one region."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="restoration_snapshots", verbose_name=_("incident")
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("Empty for the share over all affected regions."),
    )
    percent = models.PositiveSmallIntegerField(
        _("share restored (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("restoration snapshot")
        verbose_name_plural = _("restoration history")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100), name="restorationsnapshot_percent_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent} %"


def _subscription_token() -> str:
    return secrets.token_urlsafe(32)


class StatusSubscription(models.Model):
    """A visitor's e-mail subscription to a service in a region, confirmed by double opt-in."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="status_subscriptions", verbose_name=_("contact")
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", verbose_name=_("service"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", verbose_name=_("region"))
    token = models.CharField(_("token"), max_length=64, unique=True, default=_subscription_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("status page subscription")
        verbose_name_plural = _("status page subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["contact", "service", "region"], name="statussubscription_once"),
        ]
        indexes = [models.Index(fields=["service", "region"], name="statussub_service_region")]

    def __str__(self) -> str:
        return f"{self.contact.email}: {self.service} / {self.region}"
