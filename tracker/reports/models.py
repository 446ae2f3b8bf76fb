"""Exports of report data: background export jobs and the audit log of every export."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    COMPLAINTS = "complaints", _("Complaints")
    SIGNATURES = "signatures", _("Signatures")
    DECISIONS = "decisions", _("Compensation decisions")
    DELIVERIES = "deliveries", _("Notification deliveries")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class Via(models.TextChoices):
    WEB = "web", _("Report page")
    ADMIN = "admin", _("Admin")
    CLI = "cli", _("Command line")
    API = "api", _("API")
    SCHEDULE = "schedule", _("Weekly e-mail")


def _download_token() -> str:
    return secrets.token_urlsafe(32)


class ExportJob(models.Model):
    """A large export written to a file by a Celery worker, then downloaded by its requester."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs", verbose_name=_("requested by")
    )
    kind = models.CharField(_("data"), max_length=20, choices=ExportKind.choices)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices, default=ExportFormat.CSV)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.WEB)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Random, unguessable: part of the download address, never the only check (permission and owner are checked too).
    token = models.CharField(max_length=64, unique=True, default=_download_token, editable=False)
    # Relative to MEDIA_ROOT, under exports/, with a random name.
    file_path = models.CharField(_("file"), max_length=200, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        permissions = [
            ("view_reports", _("Can read the manager reports")),
            ("export_data", _("Can export report data")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format}) #{self.pk}"


class ExportLog(models.Model):
    """Who exported what, when, how and how many rows (or who tried and was refused)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("user name"), max_length=150, blank=True)
    kind = models.CharField(_("data"), max_length=20, choices=ExportKind.choices)
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices)
    # Rows written; null while a background job has not finished or when refused.
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    allowed = models.BooleanField(_("allowed"), default=True)
    job = models.ForeignKey(
        ExportJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs", verbose_name=_("job")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")

    def __str__(self) -> str:
        return f"{self.username}: {self.kind} ({self.created_at:%Y-%m-%d %H:%M})"
