"""HTTP responses of exports, shared by the report views and the admin actions."""

from __future__ import annotations

import tempfile

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from .exports import RowCounter, csv_chunks, write_xlsx
from .models import ExportFormat, ExportLog
from .selectors import ReportFilters

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filename_for(kind: str, fmt: str) -> str:
    return f"{kind}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def private_response(response):
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _counted(chunks, counter: RowCounter, log: ExportLog):
    try:
        yield from chunks
    finally:
        # Also when the client goes away: the log holds the rows actually produced.
        ExportLog.objects.filter(pk=log.pk).update(row_count=counter.rows)


def export_response(
    *, kind: str, fmt: str, filters: ReportFilters, log: ExportLog, restrict: QuerySet | None = None
) -> StreamingHttpResponse | FileResponse:
    """CSV streams chunk by chunk; XLSX is written to a temporary file (write-only mode) then sent."""
    if fmt == ExportFormat.XLSX:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        rows = write_xlsx(kind, filters, handle, restrict=restrict)
        ExportLog.objects.filter(pk=log.pk).update(row_count=rows)
        handle.seek(0)
        response = FileResponse(handle, as_attachment=True, filename=filename_for(kind, fmt), content_type=XLSX_TYPE)
        return private_response(response)
    counter = RowCounter()
    response = StreamingHttpResponse(
        _counted(csv_chunks(kind, filters, counter, restrict=restrict), counter, log), content_type=CSV_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{filename_for(kind, fmt)}"'
    return private_response(response)
