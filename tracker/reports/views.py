"""Report pages and exports for managers. Thin: the figures come from selectors, writes from services."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tracker.incidents.models import Incident

from . import charts
from .exports import export_count
from .filters import InvalidFilters, filterset_for, parse_filters
from .models import ExportFormat, ExportJob, ExportKind, Via
from .responses import XLSX_TYPE, export_response, private_response
from .selectors import (
    NOTIFY_BUCKETS,
    complaints_over_time,
    incident_list,
    incident_timeline,
    report_figures,
)
from .services import VIEW_PERMISSION, can_export, export_log_create, export_refuse, export_start


def _require_view(request) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _bad_filters(request, error: InvalidFilters, template: str = "reports/index.html") -> HttpResponse:
    context = {"filterset": filterset_for(request.GET), "filter_errors": error.errors, "figures": None}
    return render(request, template, context, status=400)


def _notify_buckets() -> list[str]:
    labels = []
    for i, low in enumerate(NOTIFY_BUCKETS):
        if i + 1 < len(NOTIFY_BUCKETS):
            labels.append(_("%(low)s to %(high)s") % {"low": _duration(low), "high": _duration(NOTIFY_BUCKETS[i + 1])})
        else:
            labels.append(_("over %(low)s") % {"low": _duration(low)})
    return labels


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return _("%(n)s min") % {"n": round(seconds / 60)}
    return _("%(n)s h") % {"n": round(seconds / 3600)}


def _charts(figures) -> dict:
    return {
        "channels_chart": charts.grouped_bars(
            [(c.label, [c.sent, c.failed]) for c in figures.channels],
            series=[_("Sent"), _("Failed")],
            title=_("Notifications by channel"),
        )
        if figures.channels
        else None,
        "notify_chart": charts.bar_chart(
            list(zip(_notify_buckets(), figures.notify_histogram, strict=True)),
            title=_("Time from declaration to the first delivered message, per contact"),
            height=180,
            color=charts.COLORS[2],
        )
        if figures.time_to_notify.count
        else None,
    }


@login_required
@require_GET
def index(request):
    _require_view(request)
    try:
        filters = parse_filters(request.GET)
    except InvalidFilters as error:
        return _bad_filters(request, error)
    figures = report_figures(filters=filters)
    context = {
        "filterset": filterset_for(request.GET),
        "figures": figures,
        "incidents": incident_list(filters=filters)[:200],
        "query": request.GET.urlencode(),
        "export_kinds": ExportKind.choices,
        "can_export": can_export(request.user),
        "jobs": ExportJob.objects.filter(requester=request.user).order_by("-created_at")[:5],
        **_charts(figures),
    }
    return render(request, "reports/index.html", context)


@login_required
@require_GET
def incident_detail(request, incident_id: int):
    _require_view(request)
    try:
        incident = Incident.objects.prefetch_related("services", "regions").get(pk=incident_id)
    except Incident.DoesNotExist:
        raise Http404 from None
    filters = parse_filters({"incident": incident.pk})
    figures = report_figures(filters=filters)
    unit, bars = complaints_over_time(incident=incident)
    context = {
        "incident": incident,
        "figures": figures,
        "timeline": incident_timeline(incident=incident),
        "complaints_chart": charts.bar_chart(
            [(bar.label, bar.value) for bar in bars],
            title=_("Complaints per hour") if unit == "hour" else _("Complaints per day"),
        ),
        "complaints_unit": unit,
        "query": f"incident={incident.pk}",
        "export_kinds": ExportKind.choices,
        "can_export": can_export(request.user),
        **_charts(figures),
    }
    return render(request, "reports/incident.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def export(request, kind: str, fmt: str):
    """Small exports stream at once; large ones (or ?background=1) become a job whose link is e-mailed."""
    if kind not in ExportKind.values or fmt not in ExportFormat.values:
        raise Http404
    params = request.POST if request.method == "POST" else request.GET
    raw = {key: params.get(key) for key in ("date_from", "date_to", "service", "region", "incident")}
    if not can_export(request.user):
        export_refuse(
            user=request.user, kind=kind, fmt=fmt, filters={k: (v or "")[:40] for k, v in raw.items() if v}, via=Via.WEB
        )
    try:
        filters = parse_filters(raw)
    except InvalidFilters as error:
        return _bad_filters(request, error)
    background = params.get("background") == "1"
    if not background and export_count(kind, filters) > settings.REPORTS_STREAM_MAX_ROWS:
        background = True
    if background:
        if request.method != "POST":
            messages.warning(request, _("This export is large: use the export button to receive it by e-mail."))
            return redirect(f"{reverse('reports:index')}?{request.GET.urlencode()}")
        export_start(user=request.user, kind=kind, filters=raw, via=Via.WEB, fmt=fmt)
        messages.success(
            request,
            _("The export is being prepared. We will e-mail %(email)s a download link.")
            % {"email": request.user.email or request.user.get_username()},
        )
        return redirect(f"{reverse('reports:index')}?{filters_query(filters)}")
    log = export_log_create(user=request.user, kind=kind, fmt=fmt, filters=filters.as_json(), via=Via.WEB)
    return export_response(kind=kind, fmt=fmt, filters=filters, log=log)


def filters_query(filters) -> str:
    from urllib.parse import urlencode

    return urlencode(filters.as_json())


@login_required
@require_GET
def download(request, token: str):
    """The file of a finished job: only for its requester, while they have the permission, before it expires."""
    job = ExportJob.objects.filter(token=token[:64]).first()
    if job is None:
        raise Http404
    if not can_export(request.user) or job.requester_id != request.user.pk:
        export_refuse(user=request.user, kind=job.kind, fmt=job.format, filters=job.filters, via=Via.WEB)
    if job.status != ExportJob.Status.DONE or not job.expires_at or job.expires_at <= timezone.now():
        return render(request, "reports/download_gone.html", {"job": job}, status=410)
    path = Path(settings.MEDIA_ROOT) / job.file_path
    if not job.file_path or not path.is_file():
        return render(request, "reports/download_gone.html", {"job": job}, status=410)
    content_type = XLSX_TYPE if job.format == ExportFormat.XLSX else "text/csv; charset=utf-8"
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{job.kind}-{job.created_at:%Y%m%d-%H%M}.{job.format}",
        content_type=content_type,
    )
    return private_response(response)
