"""Export actions on the admin changelists of the exported models.

An action exports the selected rows, or with "select all" every row the
changelist's filters and search matched. The admin classes belong to their
apps; this adds the actions to whichever of them are registered.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from .models import ExportFormat, ExportKind, Via

MODEL_KINDS = {
    "complaints.complaint": ExportKind.COMPLAINTS,
    "petitions.signature": ExportKind.SIGNATURES,
    "petitions.compensationdecision": ExportKind.DECISIONS,
    "notifications.delivery": ExportKind.DELIVERIES,
}


def _export(modeladmin, request, queryset, fmt: str):
    from django.conf import settings

    from .exports import export_count
    from .responses import export_response
    from .selectors import ReportFilters
    from .services import can_export, export_log_create, export_refuse

    kind = MODEL_KINDS[modeladmin.model._meta.label_lower]
    filters = {"admin_selection": str(request.GET.urlencode())[:500]}
    if not can_export(request.user):
        try:
            export_refuse(user=request.user, kind=kind, fmt=fmt, filters=filters, via=Via.ADMIN)
        except PermissionDenied:
            modeladmin.message_user(request, _("You do not have permission to export data."), messages.ERROR)
            return None
    if fmt == ExportFormat.XLSX and export_count(kind, ReportFilters(), queryset) > settings.REPORTS_STREAM_MAX_ROWS:
        modeladmin.message_user(
            request,
            _("Too many rows for a spreadsheet from here: export CSV, or use the reports page."),
            messages.WARNING,
        )
        return None
    log = export_log_create(user=request.user, kind=kind, fmt=fmt, filters=filters, via=Via.ADMIN)
    return export_response(kind=kind, fmt=fmt, filters=ReportFilters(), log=log, restrict=queryset)


@admin.action(description=_("Export the selected rows to CSV"))
def export_csv(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, ExportFormat.CSV)


@admin.action(description=_("Export the selected rows to XLSX"))
def export_xlsx(modeladmin, request, queryset):
    return _export(modeladmin, request, queryset, ExportFormat.XLSX)


def install(site: admin.AdminSite | None = None) -> None:
    """Add the export actions to the registered admins of the exported models (idempotent)."""
    site = site or admin.site
    for model, model_admin in site._registry.items():
        if model._meta.label_lower not in MODEL_KINDS:
            continue
        actions = list(model_admin.actions or [])
        for action in (export_csv, export_xlsx):
            if action not in actions:
                actions.append(action)
        model_admin.actions = actions
