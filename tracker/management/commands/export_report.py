"""Export report data to CSV or XLSX from the command line; logged like every export."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.reports.exports import write_csv, write_xlsx
from tracker.reports.filters import InvalidFilters, parse_filters
from tracker.reports.models import ExportFormat, ExportKind, ExportLog, Via
from tracker.reports.services import export_log_create


class Command(BaseCommand):
    help = "Export complaints, signatures, compensation decisions or deliveries as CSV or XLSX (constant memory)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ExportKind.values)
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.CSV)
        parser.add_argument("--output", "-o", default="-", help="File to write; '-' (default) is standard output.")
        parser.add_argument("--from", dest="date_from", help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="date_to", help="Last day, YYYY-MM-DD.")
        parser.add_argument("--service", help="Service id.")
        parser.add_argument("--region", help="Region id.")
        parser.add_argument("--incident", help="Incident id.")
        parser.add_argument("--user", help="User name recorded in the export log (default: the operator).")

    def handle(self, *args, **options):
        raw = {key: options.get(key) for key in ("date_from", "date_to", "service", "region", "incident")}
        try:
            filters = parse_filters(raw)
        except InvalidFilters as error:
            raise CommandError(str(error)) from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}.")
        kind, fmt, output = options["kind"], options["format"], options["output"]
        log = export_log_create(user=user, kind=kind, fmt=fmt, filters=filters.as_json(), via=Via.CLI)
        if not user:
            ExportLog.objects.filter(pk=log.pk).update(username="(command line)")
        if fmt == ExportFormat.XLSX:
            if output == "-":
                raise CommandError("XLSX needs --output FILE.")
            rows = write_xlsx(kind, filters, output)
        elif output == "-":
            rows = write_csv(kind, filters, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with open(output, "wb") as out:
                rows = write_csv(kind, filters, out)
        ExportLog.objects.filter(pk=log.pk).update(row_count=rows)
        if output != "-":
            self.stderr.write(f"{rows} rows written to {output}")
