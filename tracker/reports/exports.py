"""What can be exported, and the writers: streamed CSV and write-only XLSX, constant memory.

Each kind is a list of columns read with values_list() over .iterator(chunk_size=2000):
only one chunk of tuples is in memory at a time, whatever the row count. Exports
hold business data needed for billing and follow-up, not contact details: no
e-mail addresses or phone numbers of customers leave through an export.
Text cells beginning with = + - @ (or a tab or carriage return) are prefixed
with a quote so that a spreadsheet shows them as text instead of running them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO

from django.db import connection, transaction
from django.db.models import Case, CharField, F, Func, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Priority
from complaints.models import Status as ComplaintStatus
from petitions.models import CompensationDecision
from tracker.customers.models import Channel
from tracker.notifications.models import Delivery

from .models import ExportKind
from .selectors import ReportFilters, complaint_scope, decision_scope, delivery_scope, signature_scope

CHUNK_SIZE = 2000
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet will not evaluate as a formula."""
    if value and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    header: object  # a lazy translated label
    lookup: str
    # "text" (neutralised), "choice" (label of a code), "datetime" (UTC), "money" (2 decimals), "number", "bool"
    type: str = "text"
    choices: object = None


@dataclass(frozen=True)
class ExportSpec:
    kind: str
    columns: tuple[Column, ...]
    scope: Callable[..., QuerySet]
    order_by: tuple[str, ...] = ("pk",)

    def queryset(self, filters: ReportFilters, restrict: QuerySet | None = None) -> QuerySet:
        """The rows in export order; restrict (e.g. an admin changelist's selection) narrows them by primary key."""
        qs = self.scope(filters=filters)
        if restrict is not None:
            qs = qs.filter(pk__in=restrict.order_by().values("pk"))
        return qs.order_by(*self.order_by)


def _labels(choices) -> dict:
    return {value: str(label) for value, label in choices}


SPECS: dict[str, ExportSpec] = {
    ExportKind.COMPLAINTS: ExportSpec(
        kind=ExportKind.COMPLAINTS,
        scope=complaint_scope,
        columns=(
            Column(_("Reference"), "reference"),
            Column(_("Filed"), "created_at", "datetime"),
            Column(_("Customer number"), "business__customer_number"),
            Column(_("Company"), "business__company_name"),
            Column(_("Service"), "service__name"),
            Column(_("Region"), "region__code"),
            Column(_("Site"), "site_label"),
            Column(_("What fails"), "category", "choice", Category.choices),
            Column(_("Since"), "since", "datetime"),
            Column(_("Status"), "status", "choice", ComplaintStatus.choices),
            Column(_("Priority"), "priority", "choice", Priority.choices),
            Column(_("Incident"), "incident_id", "number"),
            Column(_("First response"), "first_responded_at", "datetime"),
            Column(_("Closed"), "closed_at", "datetime"),
            Column(_("SLA breached"), "sla_breached", "bool"),
            Column(_("Estimated loss"), "loss_amount", "money"),
            Column(_("Currency"), "loss_currency"),
        ),
    ),
    ExportKind.SIGNATURES: ExportSpec(
        kind=ExportKind.SIGNATURES,
        scope=signature_scope,
        columns=(
            Column(_("Signature"), "pk", "number"),
            Column(_("Petition"), "petition__slug"),
            Column(_("Signed"), "created_at", "datetime"),
            Column(_("Confirmed"), "confirmed_at", "datetime"),
            Column(_("Withdrawn"), "withdrawn_at", "datetime"),
            Column(_("Invalidated"), "invalidated_at", "datetime"),
            Column(_("Name"), "name"),
            Column(_("Company"), "company"),
            Column(_("Customer number"), "customer_number"),
            Column(_("Verified customer"), "verified_customer", "bool"),
            Column(_("Declared loss"), "loss_amount", "money"),
            Column(_("Currency"), "loss_currency"),
            Column(_("Hours without service"), "hours_without_service", "number"),
            Column(_("Lines affected"), "lines_affected", "number"),
        ),
    ),
    ExportKind.DECISIONS: ExportSpec(
        kind=ExportKind.DECISIONS,
        scope=decision_scope,
        order_by=("incident_id", "business_id", "pk"),
        columns=(
            Column(_("Incident"), "incident_id", "number"),
            Column(_("Incident title"), "incident__title"),
            Column(_("Customer number"), "business__customer_number"),
            Column(_("Company"), "business__company_name"),
            Column(_("Currency"), "currency"),
            Column(_("Declared loss"), "claimed_amount", "money"),
            Column(_("Proposed"), "proposed_amount", "money"),
            Column(_("Offered"), "offered_amount", "money"),
            Column(_("Counter-offer"), "counter_amount", "money"),
            Column(_("Status"), "status", "choice", CompensationDecision.Status.choices),
            Column(_("Flagged for review"), "flagged", "bool"),
            Column(_("Offered on"), "offered_at", "datetime"),
            Column(_("Answered on"), "answered_at", "datetime"),
            Column(_("Business comment"), "business_comment"),
        ),
    ),
    ExportKind.DELIVERIES: ExportSpec(
        kind=ExportKind.DELIVERIES,
        scope=delivery_scope,
        columns=(
            Column(_("Delivery"), "pk", "number"),
            Column(_("Job"), "job_id", "number"),
            Column(_("Message kind"), "job__kind"),
            Column(_("Contact"), "contact_id", "number"),
            Column(_("Customer number"), "contact__business__customer_number"),
            Column(_("Channel"), "channel", "choice", Channel.choices),
            Column(_("Status"), "status", "choice", Delivery.Status.choices),
            Column(_("Attempts"), "attempts", "number"),
            Column(_("Created"), "created_at", "datetime"),
            Column(_("Sent"), "sent_at", "datetime"),
            Column(_("Reason"), "reason"),
            Column(_("Last error"), "last_error"),
        ),
    ),
}


def export_spec(kind: str) -> ExportSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"Unknown export kind {kind!r}") from None


def export_queryset(kind: str, filters: ReportFilters) -> QuerySet:
    return export_spec(kind).queryset(filters)


def export_count(kind: str, filters: ReportFilters, restrict: QuerySet | None = None) -> int:
    return export_spec(kind).queryset(filters, restrict).order_by().count()


def export_header(kind: str) -> list[str]:
    return [
        f"{column.header} (UTC)" if column.type == "datetime" else str(column.header)
        for column in export_spec(kind).columns
    ]


class UtcText(Func):
    """A datetime as text in UTC to the second ("2026-03-02 09:00:00"), formatted by the database."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: the first 19 characters.
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 19)")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="date_trunc('second', %(expressions)s AT TIME ZONE 'UTC')::text"
        )


class SafeText(Func):
    """Text a spreadsheet shows as text: a leading = + - @ tab or CR gets a quote in front; NULL becomes ''."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self._template("char"))

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self._template("chr"))

    @staticmethod
    def _template(char: str) -> str:
        first = f"('=', '+', '-', '@', {char}(9), {char}(13))"
        quote = "''''"  # the SQL literal of one single quote
        return (
            f"CASE WHEN substr(%(expressions)s, 1, 1) IN {first} THEN {quote} || %(expressions)s "
            "ELSE COALESCE(%(expressions)s, '') END"
        )


class MoneyText(Func):
    """A two-decimal amount as text ("12.50"); NULL stays NULL."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CASE WHEN %(expressions)s IS NULL THEN NULL ELSE printf('%%.2f', %(expressions)s) END",
        )

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::numeric(14, 2)::text")


def _select(column: Column, *, yes: str, no: str):
    """The SQL expression of one cell: the database formats and neutralises, Python only copies."""
    ref = F(column.lookup)
    if column.type == "text":
        return SafeText(ref)
    if column.type == "datetime":
        return UtcText(ref)
    if column.type == "money":
        return MoneyText(ref)
    if column.type == "choice":
        whens = [When(**{column.lookup: value}, then=Value(label)) for value, label in _labels(column.choices).items()]
        return Case(*whens, default=ref, output_field=CharField())
    if column.type == "bool":
        return Case(When(**{column.lookup: True}, then=Value(yes)), default=Value(no), output_field=CharField())
    return ref


def export_sql(kind: str, filters: ReportFilters, restrict: QuerySet | None = None) -> tuple[str, tuple]:
    """The one SELECT of an export, cells already formatted (also the query the benchmark COPYs)."""
    spec = export_spec(kind)
    yes, no = str(_("yes")), str(_("no"))
    names = [f"x{i}" for i in range(len(spec.columns))]
    qs = (
        spec.queryset(filters, restrict)
        .annotate(**{name: _select(column, yes=yes, no=no) for name, column in zip(names, spec.columns, strict=True)})
        .values_list(*names)
    )
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _prefetched(fetch: Callable[[], list]) -> Iterator[list]:
    """Batches of fetch() from a helper thread, one batch ahead of the caller (two at most in memory).

    The database computes and sends the next chunk while Python formats the current one; both
    drivers release the GIL while they wait. Stopping early (a client that goes away) stops the thread.
    """
    batches: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def work():
        try:
            while not stop.is_set():
                batch = fetch()
                while not stop.is_set():
                    try:
                        batches.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if not batch:
                    return
        except BaseException as exc:
            batches.put(exc)

    worker = threading.Thread(target=work, name="export-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            batch = batches.get()
            if isinstance(batch, BaseException):
                raise batch
            if not batch:
                return
            yield batch
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.1)
        worker.join()


def export_batches(kind: str, filters: ReportFilters, restrict: QuerySet | None = None) -> Iterator[list[tuple]]:
    """The rows in batches of CHUNK_SIZE tuples, every cell formatted by the database.

    One SELECT; a server-side cursor on PostgreSQL and chunked fetches on SQLite, read one
    batch ahead by a helper thread, bypassing the ORM's per-value converters: memory stays
    constant whatever the row count and Python does no per-cell work.
    """
    sql, params = export_sql(kind, filters, restrict)
    # On PostgreSQL, a server-side cursor inside a transaction streams; outside one it would be
    # WITH HOLD, which runs the whole query before the first row. (SQLite: no transaction, which
    # would take the write lock for the length of the export.)
    in_transaction = transaction.atomic() if connection.vendor == "postgresql" else contextlib.nullcontext()
    with in_transaction, connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        yield from _prefetched(lambda: cursor.fetchmany(CHUNK_SIZE))


def export_rows(
    kind: str,
    filters: ReportFilters,
    *,
    header: bool = True,
    for_xlsx: bool = False,
    restrict: QuerySet | None = None,
) -> Iterator[list]:
    """The header, then one list per row: text neutralised, codes as labels, datetimes in UTC.

    For XLSX, amounts become numbers and datetimes datetime cells.
    """
    spec = export_spec(kind)
    if header:
        yield export_header(kind)
    money = [i for i, c in enumerate(spec.columns) if c.type == "money"] if for_xlsx else []
    dates = [i for i, c in enumerate(spec.columns) if c.type == "datetime"] if for_xlsx else []
    for batch in export_batches(kind, filters, restrict):
        for row in batch:
            out = list(row)
            for i in money:
                out[i] = float(out[i]) if out[i] is not None else None
            for i in dates:
                if out[i]:
                    out[i] = dt.datetime.fromisoformat(out[i])
            yield out


class RowCounter:
    def __init__(self):
        self.rows = 0


def csv_chunks(
    kind: str, filters: ReportFilters, counter: RowCounter | None = None, restrict: QuerySet | None = None
) -> Iterator[bytes]:
    """UTF-8 CSV (with a BOM for spreadsheets), one chunk per batch; the header comes first, alone."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export_header(kind))
    yield ("\ufeff" + buffer.getvalue()).encode()
    for batch in export_batches(kind, filters, restrict):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(batch)
        if counter is not None:
            counter.rows += len(batch)
        yield buffer.getvalue().encode()


def write_csv(kind: str, filters: ReportFilters, out: IO[bytes]) -> int:
    counter = RowCounter()
    for chunk in csv_chunks(kind, filters, counter):
        out.write(chunk)
    return counter.rows


def write_xlsx(kind: str, filters: ReportFilters, out: IO[bytes] | str, restrict: QuerySet | None = None) -> int:
    """An XLSX workbook in openpyxl's write-only mode: rows go to a temporary file as they come."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    spec = export_spec(kind)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(ExportKind(kind).label)[:31])
    rows = export_rows(kind, filters, for_xlsx=True, restrict=restrict)
    bold = Font(bold=True)
    header_cells = []
    for title in next(rows):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    datetime_columns = [i for i, column in enumerate(spec.columns) if column.type == "datetime"]
    count = 0
    for row in rows:
        for i in datetime_columns:
            if isinstance(row[i], dt.datetime):
                cell = WriteOnlyCell(sheet, value=row[i])
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                row[i] = cell
        sheet.append(row)
        count += 1
    workbook.save(out)
    return count
