"""E-mails of the reports: the download link of a finished export and the weekly report to managers.

Staff users are not notification contacts, so these go through Django's mailer directly.
"""

from __future__ import annotations

import datetime as dt
import io

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tracker.customers.roles import MANAGER

from .exports import export_rows
from .models import ExportFormat, ExportJob, ExportKind, Via
from .selectors import ReportFilters, incident_list, report_figures
from .services import export_log_create

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_ready_send(*, job: ExportJob) -> None:
    if not job.requester.email:
        return
    link = f"{settings.SITE_URL}{reverse('reports:download', args=[job.token])}"
    context = {"job": job, "link": link, "expires_at": timezone.localtime(job.expires_at) if job.expires_at else None}
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your export of %(kind)s is ready") % {"kind": job.get_kind_display().lower()}
        body = render_to_string("reports/email/export_ready.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [job.requester.email]).send()


def managers():
    """Active users of the manager group (or with the report permission directly) who have an e-mail."""
    User = get_user_model()
    perm = Q(user_permissions__codename="view_reports", user_permissions__content_type__app_label="reports")
    group_perm = Q(groups__permissions__codename="view_reports", groups__permissions__content_type__app_label="reports")
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(groups__name=MANAGER) | perm | group_perm | Q(is_superuser=True))
        .distinct()
        .order_by("pk")
    )


def weekly_filters(*, today: dt.date | None = None) -> ReportFilters:
    """The seven days before the given (local) day: Monday to Sunday when sent on a Monday."""
    today = today or timezone.localdate()
    return ReportFilters(date_from=today - dt.timedelta(days=7), date_to=today - dt.timedelta(days=1))


def weekly_workbook(*, filters: ReportFilters) -> tuple[bytes, dict[str, int]]:
    """XLSX: a summary sheet, the incidents of the week, then the week's complaints, decisions and deliveries."""
    from openpyxl import Workbook

    figures = report_figures(filters=filters)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(_("Summary"))
    summary.append([_("Period"), f"{filters.date_from:%Y-%m-%d}", f"{filters.date_to:%Y-%m-%d}"])
    for label, value in [
        (_("Incidents"), figures.incidents),
        (_("Affected businesses"), figures.affected_businesses),
        (_("Affected contacts"), figures.affected_contacts),
        (_("Complaints"), figures.complaints),
        (_("SLA breaches"), figures.sla_breaches),
        (_("Signatures"), figures.signatures),
        (_("First response, median (min)"), _minutes(figures.first_response.median)),
        (_("First response, p90 (min)"), _minutes(figures.first_response.high)),
        (_("Resolution, median (h)"), _hours(figures.resolution.median)),
        (_("Resolution, p90 (h)"), _hours(figures.resolution.high)),
        (_("Time to notify, median (min)"), _minutes(figures.time_to_notify.median)),
        (_("Time to notify, p95 (min)"), _minutes(figures.time_to_notify.high)),
    ]:
        summary.append([label, value])
    summary.append([])
    summary.append([_("Channel"), _("Sent"), _("Failed")])
    for channel in figures.channels:
        summary.append([channel.label, channel.sent, channel.failed])
    summary.append([])
    summary.append(
        [_("Currency"), _("Declared in complaints"), _("Declared in signatures"), _("Proposed"), _("Granted")]
    )
    for money in figures.money:
        summary.append(
            [
                money.currency,
                float(money.complaints_declared),
                float(money.signatures_declared),
                float(money.proposed),
                float(money.granted),
            ]
        )
    incidents = workbook.create_sheet(_("Incidents"))
    incidents.append([_("Incident"), _("Title"), _("Started"), _("Resolved"), _("Complaints"), _("SLA breaches")])
    for incident in incident_list(filters=filters):
        incidents.append(
            [
                incident.pk,
                _neutral(incident.title),
                timezone.localtime(incident.started_at).replace(tzinfo=None),
                timezone.localtime(incident.resolved_at).replace(tzinfo=None) if incident.resolved_at else None,
                incident.complaint_count,
                incident.breach_count,
            ]
        )
    counts = {}
    for kind in (ExportKind.COMPLAINTS, ExportKind.DECISIONS, ExportKind.DELIVERIES):
        sheet = workbook.create_sheet(str(ExportKind(kind).label)[:31])
        counts[kind] = -1
        for row in export_rows(kind, filters, for_xlsx=True):
            sheet.append([float(v) if type(v).__name__ == "Decimal" else v for v in row])
            counts[kind] += 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), counts


def _neutral(value: str) -> str:
    from .exports import neutralise

    return neutralise(value)


def _minutes(seconds: float | None) -> float | None:
    return round(seconds / 60, 1) if seconds is not None else None


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def weekly_report_send(*, today: dt.date | None = None) -> int:
    """Send the weekly report with its XLSX to every manager; returns the number of e-mails sent."""
    recipients = list(managers())
    if not recipients:
        return 0
    filters = weekly_filters(today=today)
    with translation.override(settings.LANGUAGE_CODE):
        content, counts = weekly_workbook(filters=filters)
        figures = report_figures(filters=filters)
        subject = _("Weekly outage report %(start)s to %(end)s") % {
            "start": f"{filters.date_from:%Y-%m-%d}",
            "end": f"{filters.date_to:%Y-%m-%d}",
        }
        body = render_to_string(
            "reports/email/weekly.txt",
            {"figures": figures, "filters": filters, "link": f"{settings.SITE_URL}{reverse('reports:index')}"},
        )
    filename = f"outage-report-{filters.date_from:%Y-%m-%d}.xlsx"
    sent = 0
    for user in recipients:
        message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        message.attach(filename, content, XLSX_TYPE)
        message.send()
        for kind, rows in counts.items():
            export_log_create(
                user=user, kind=kind, fmt=ExportFormat.XLSX, filters=filters.as_json(), via=Via.SCHEDULE, row_count=rows
            )
        sent += 1
    return sent
