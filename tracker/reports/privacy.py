"""Personal data in report exports: erasure and retention of the files on disk.

An export file is a frozen copy of rows: after an erasure it would still hold the old values. Finding
one person's line in every CSV and XLSX would be fragile, so erasure deletes every stored file of a
kind that has personal columns (signers' names, business comments, delivery errors quoting an
address) and marks its job expired; the manager runs it again and gets the anonymised rows.
Complaint exports hold business data only and are kept.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.customers.models import Contact

from .models import ExportJob, ExportKind, ExportLog
from .services import EXPORT_DIR

PERSONAL_KINDS = frozenset({ExportKind.SIGNATURES, ExportKind.DECISIONS, ExportKind.DELIVERIES})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _delete_on_commit(paths: list[str]) -> None:
    root = Path(settings.MEDIA_ROOT)
    paths = [path for path in paths if path]
    if paths:
        transaction.on_commit(lambda: [(root / path).unlink(missing_ok=True) for path in paths])


def _expire(jobs) -> int:
    """Delete the jobs' files (after commit) and mark them expired; the rows stay for the audit log."""
    rows = list(jobs.exclude(file_path="").values_list("pk", "file_path"))
    _delete_on_commit([path for _pk, path in rows])
    pks = [pk for pk, _path in rows]
    ExportJob.objects.filter(pk__in=pks).update(file_path="")
    # A failed job keeps its error; a running one ends with no file, so its link answers "gone".
    ExportJob.objects.filter(pk__in=pks, status=ExportJob.Status.DONE).update(
        status=ExportJob.Status.EXPIRED, expires_at=timezone.now()
    )
    return len(rows)


def exports_export(contact: Contact) -> list[dict[str, Any]]:
    """The exports the contact's login asked for (the data in them is exported by its own section)."""
    if contact.user_id is None:
        return []
    return [
        {"data": kind, "format": fmt, "via": via, "rows": rows, "at": _iso(created_at)}
        for kind, fmt, via, rows, created_at in ExportLog.objects.filter(user_id=contact.user_id)
        .order_by("pk")
        .values_list("kind", "format", "via", "row_count", "created_at")
    ]


def exports_erase(contact: Contact) -> None:
    _expire(ExportJob.objects.filter(kind__in=PERSONAL_KINDS))
    if contact.user_id is not None:
        # The log keeps who exported by id; the copied user name may be the contact's address.
        ExportLog.objects.filter(user_id=contact.user_id).exclude(username="").update(username="")


def exports_retain(now: datetime) -> int:
    """Delete export files older than EXPORT_RETENTION_DAYS, and stray files no job points to; returns files."""
    cutoff = now - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    removed = _expire(ExportJob.objects.filter(created_at__lt=cutoff))
    directory = Path(settings.MEDIA_ROOT) / EXPORT_DIR
    if not directory.is_dir():
        return removed
    known = set(ExportJob.objects.exclude(file_path="").values_list("file_path", flat=True))
    stray = [
        f"{EXPORT_DIR}/{path.name}"
        for path in directory.iterdir()
        if path.is_file() and f"{EXPORT_DIR}/{path.name}" not in known and path.stat().st_mtime < cutoff.timestamp()
    ]
    _delete_on_commit(stray)
    return removed + len(stray)


def register_privacy() -> None:
    from tracker.security.privacy import register

    register(name="exports", export=exports_export, erase=exports_erase, retain=exports_retain)
