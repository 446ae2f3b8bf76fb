"""Outages: what is down, where, since when, and what the public was told."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Region, Service


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
