"""Writes of the reports: export jobs and the export audit log."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .exports import export_spec, write_csv, write_xlsx
from .filters import parse_filters
from .models import ExportFormat, ExportJob, ExportKind, ExportLog, Via

logger = logging.getLogger(__name__)

EXPORT_PERMISSION = "reports.export_data"
VIEW_PERMISSION = "reports.view_reports"
EXPORT_DIR = "exports"


def can_export(user) -> bool:
    return bool(user and user.is_active and user.has_perm(EXPORT_PERMISSION))


def export_log_create(
    *, user, kind: str, fmt: str, filters: dict, via: str, row_count: int | None = None, allowed: bool = True, job=None
) -> ExportLog:
    return ExportLog.objects.create(
        user=user if user is not None and user.pk else None,
        username=(getattr(user, "get_username", lambda: "")() or "")[:150],
        kind=kind,
        format=fmt,
        filters=filters,
        via=via,
        row_count=row_count,
        allowed=allowed,
        job=job,
    )


def export_refuse(*, user, kind: str, fmt: str, filters: dict, via: str) -> None:
    """Log a refused export and raise PermissionDenied."""
    export_log_create(user=user, kind=kind, fmt=fmt, filters=filters, via=via, allowed=False)
    logger.warning("Export refused: %s tried %s (%s) via %s", getattr(user, "pk", None), kind, fmt, via)
    raise PermissionDenied


def _check(*, user, kind: str, fmt: str, filters: dict, via: str) -> None:
    if kind not in ExportKind.values or fmt not in ExportFormat.values or via not in Via.values:
        raise ValueError("Unknown export kind, format or channel.")
    if not can_export(user):
        export_refuse(user=user, kind=kind, fmt=fmt, filters=filters, via=via)


def export_start(*, user, kind: str, filters: dict, via: str, fmt: str = ExportFormat.CSV) -> ExportJob:
    """Queue a background export for a user with the export permission; it is logged now, counted when done.

    filters are raw (query parameters or JSON) and validated here: InvalidFilters on bad input,
    PermissionDenied without the permission (the refusal is logged, outside any transaction
    that the PermissionDenied would roll back).
    """
    raw = dict(filters or {})
    _check(user=user, kind=kind, fmt=fmt, filters={k: str(v)[:40] for k, v in raw.items()}, via=via)
    clean = parse_filters(raw).as_json()
    return _export_job_create(user=user, kind=kind, fmt=fmt, filters=clean, via=via)


@transaction.atomic
def _export_job_create(*, user, kind: str, fmt: str, filters: dict, via: str) -> ExportJob:
    job = ExportJob.objects.create(requester=user, kind=kind, format=fmt, filters=filters, via=via)
    export_log_create(user=user, kind=kind, fmt=fmt, filters=filters, via=via, job=job)
    from .tasks import run_export

    run_export.delay_on_commit(job.pk)
    return job


def _export_path(job: ExportJob) -> str:
    return f"{EXPORT_DIR}/{secrets.token_hex(16)}.{job.format}"


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the file of a pending job (idempotent: a job already done or gone is left alone)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in {ExportJob.Status.PENDING, ExportJob.Status.FAILED}:
            return job
        job.status = ExportJob.Status.RUNNING
        job.file_path = _export_path(job)
        job.save(update_fields=["status", "file_path"])
    target = Path(settings.MEDIA_ROOT) / job.file_path
    target.parent.mkdir(parents=True, exist_ok=True)
    filters = parse_filters(job.filters)
    try:
        export_spec(job.kind)
        if job.format == ExportFormat.XLSX:
            rows = write_xlsx(job.kind, filters, str(target))
        else:
            with open(target, "wb") as out:
                rows = write_csv(job.kind, filters, out)
    except Exception as exc:
        target.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        raise
    now = timezone.now()
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.DONE,
            row_count=rows,
            finished_at=now,
            expires_at=now + dt.timedelta(hours=settings.REPORTS_EXPORT_TTL_HOURS),
        )
        ExportLog.objects.filter(job_id=job.pk).update(row_count=rows)
    job.refresh_from_db()
    return job


@transaction.atomic
def export_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the files of expired exports and mark their jobs expired."""
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lte=now).values_list("pk", "file_path")
    )
    for _pk, path in expired:
        if path:
            (Path(settings.MEDIA_ROOT) / path).unlink(missing_ok=True)
    ExportJob.objects.filter(pk__in=[pk for pk, _path in expired]).update(status=ExportJob.Status.EXPIRED)
    return len(expired)
