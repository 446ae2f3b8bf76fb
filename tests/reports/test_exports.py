import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tracker.reports.exports import export_header, export_spec, neutralise, write_csv, write_xlsx
from tracker.reports.models import ExportLog
from tracker.reports.selectors import ReportFilters

pytestmark = pytest.mark.django_db

KINDS = ["complaints", "signatures", "decisions", "deliveries"]


def _csv_rows(kind, filters):
    out = io.BytesIO()
    count = write_csv(kind, filters, out)
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    return count, rows


def _normalise(kind, row, *, xlsx):
    """Same text for both formats: numbers compared as numbers, datetimes as local ISO strings."""
    out = []
    for column, value in zip(export_spec(kind).columns, row, strict=True):
        if value is None:
            value = ""
        elif xlsx and isinstance(value, dt.datetime):
            value = value.isoformat(sep=" ", timespec="seconds")
        elif column.type in {"number", "money"} and value != "":
            value = f"{float(value):.2f}"
        out.append(str(value))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_csv_and_xlsx_give_the_same_rows(outage, tmp_path, kind):
    filters = ReportFilters(incident_id=outage.pk)

    count, csv_rows = _csv_rows(kind, filters)
    path = tmp_path / "out.xlsx"
    xlsx_count = write_xlsx(kind, filters, str(path))
    sheet = load_workbook(path, read_only=True).active
    xlsx_rows = [_normalise(kind, row, xlsx=True) for row in sheet.iter_rows(min_row=2, values_only=True)]

    header = export_header(kind)
    assert csv_rows[0] == header
    assert count == xlsx_count == len(csv_rows) - 1
    assert count == {"complaints": 3, "signatures": 4, "decisions": 2, "deliveries": 4}[kind]
    assert [_normalise(kind, row, xlsx=False) for row in csv_rows[1:]] == xlsx_rows
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == header


def test_complaint_rows_hold_the_expected_values(outage):
    _count, rows = _csv_rows("complaints", ReportFilters(incident_id=outage.pk))

    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Status"] == "Resolved"
    assert first["What fails"] == "Cannot receive e-mail"
    assert first["Estimated loss"] == "100.00"
    assert first["Currency"] == "CHF"
    assert first["SLA breached"] == "no"
    assert first["Incident"] == str(outage.pk)
    assert first["Filed (UTC)"] == "2026-03-02 09:00:00"
    assert first["Closed (UTC)"] == "2026-03-02 11:00:00"
    assert first["First response (UTC)"] == "2026-03-02 09:10:00"


def test_formula_cells_are_neutralised_in_csv_and_xlsx(outage, tmp_path):
    _count, rows = _csv_rows("complaints", ReportFilters(incident_id=outage.pk))
    path = tmp_path / "out.xlsx"
    write_xlsx("complaints", ReportFilters(incident_id=outage.pk), str(path))
    sheet = load_workbook(path).active
    site_column = export_header("complaints").index("Site") + 1

    assert rows[3][site_column - 1] == '\'=HYPERLINK("http://evil")'
    cell = sheet.cell(row=4, column=site_column)
    assert cell.value == '\'=HYPERLINK("http://evil")'
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("=1+1", "'=1+1"), ("+41", "'+41"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("plain", "plain"), ("", "")],
)  # fmt: skip
def test_neutralise(raw, safe):
    assert neutralise(raw) == safe


def test_export_report_command_writes_the_file_and_logs(outage, tmp_path):
    target = tmp_path / "complaints.csv"

    call_command("export_report", "complaints", "--incident", str(outage.pk), "--output", str(target))

    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4
    log = ExportLog.objects.get()
    assert (log.kind, log.format, log.via, log.row_count, log.allowed) == ("complaints", "csv", "cli", 3, True)
    assert log.filters == {"incident": outage.pk}


def test_export_report_command_rejects_bad_filters(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="date_from"):
        call_command("export_report", "complaints", "--from", "2026-02-31")
    assert ExportLog.objects.count() == 0


def test_export_start_validates_and_checks_permission(agent, manager, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    from tracker.reports.filters import InvalidFilters
    from tracker.reports.models import ExportJob
    from tracker.reports.services import export_start

    with pytest.raises(PermissionDenied):
        export_start(user=agent, kind="complaints", filters={}, via="api")
    with pytest.raises(InvalidFilters) as error:
        export_start(user=manager, kind="complaints", filters={"date_to": "31.02.2026"}, via="api")
    assert "date_to" in error.value.errors
    assert ExportJob.objects.count() == 0
    assert list(ExportLog.objects.values_list("allowed", "via")) == [(False, "api")]

    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(user=manager, kind="signatures", filters={"date_from": "2026-01-01"}, via="api", fmt="xlsx")

    job.refresh_from_db()
    assert (job.status, job.row_count, job.filters) == ("done", 0, {"date_from": "2026-01-01"})


def test_export_rows_is_constant_memory_shaped(outage):
    """export_rows yields lazily: the header comes before any query is run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker.reports.exports import export_rows

    rows = export_rows("complaints", ReportFilters(incident_id=outage.pk))
    with CaptureQueriesContext(connection) as queries:
        header = next(rows)
    assert header == export_header("complaints")
    assert len(queries) == 0
    assert len(list(rows)) == 3
