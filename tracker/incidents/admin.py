"""Staff screens for incidents. Thin: every write calls a service of services.py.

Adding an incident declares it (with its first update); changing it records
corrections; updates are published from the "Publish an update" view, which
previews how many contacts will be told on each channel. History is read-only.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tracker.notifications.models import Delivery

from . import selectors, services
from .forms import IncidentCorrectForm, IncidentDeclareForm, UpdateCorrectForm, UpdatePublishForm
from .models import Correction, Incident, IncidentUpdate, RestorationSnapshot, StatusSubscription


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class IncidentUpdateInline(ReadOnlyInline):
    model = IncidentUpdate
    fields = ["published_at", "status", "language", "message", "translated_into", "notify", "deliveries", "correct"]
    readonly_fields = fields
    ordering = ["-published_at", "-id"]

    def get_queryset(self, request):
        # One query for the updates and their delivery counts, however many there are.
        by = "notification_job__deliveries__status"
        return (
            super()
            .get_queryset(request)
            .annotate(
                deliveries_total=Count("notification_job__deliveries"),
                deliveries_sent=Count("notification_job__deliveries", filter=Q(**{by: Delivery.Status.SENT})),
                deliveries_failed=Count("notification_job__deliveries", filter=Q(**{by: Delivery.Status.FAILED})),
                deliveries_skipped=Count("notification_job__deliveries", filter=Q(**{by: Delivery.Status.SKIPPED})),
            )
        )

    @admin.display(description=_("translations"))
    def translated_into(self, obj: IncidentUpdate) -> str:
        return ", ".join(sorted(obj.translations)) or "-"

    @admin.display(description=_("correction"))
    def correct(self, obj: IncidentUpdate) -> str:
        url = reverse("admin:incidents_incidentupdate_correct", args=[obj.incident_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Correct the text"))

    @admin.display(description=_("deliveries"))
    def deliveries(self, obj: IncidentUpdate) -> str:
        if not obj.notification_job_id:
            return _("not notified")
        pending = obj.deliveries_total - obj.deliveries_sent - obj.deliveries_failed - obj.deliveries_skipped
        return _("%(total)d: %(sent)d sent, %(pending)d pending, %(failed)d failed, %(skipped)d skipped") % {
            "total": obj.deliveries_total,
            "sent": obj.deliveries_sent,
            "pending": pending,
            "failed": obj.deliveries_failed,
            "skipped": obj.deliveries_skipped,
        }


class CorrectionInline(ReadOnlyInline):
    model = Correction
    fields = ["corrected_at", "field", "previous_value", "new_value", "author", "notified"]
    readonly_fields = fields


class RestorationSnapshotInline(ReadOnlyInline):
    model = RestorationSnapshot
    fields = ["recorded_at", "region", "percent"]
    readonly_fields = fields


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "status",
        "severity",
        "started_at",
        "declared_at",
        "restored_percent",
        "next_update_due_at",
        "update_overdue",
    ]
    list_filter = ["status", "severity", "services"]
    search_fields = ["title"]
    date_hierarchy = "started_at"
    filter_horizontal = ["services", "regions"]
    inlines = [IncidentUpdateInline, CorrectionInline, RestorationSnapshotInline]
    change_form_template = "incidents/admin/change_form.html"
    readonly_fields = [
        "status",
        "declared_at",
        "detected_at",
        "resolved_at",
        "restored_percent",
        "next_update_due_at",
    ]

    @admin.display(boolean=True, description=_("update overdue"))
    def update_overdue(self, obj: Incident) -> bool:
        return bool(obj.is_open and obj.next_update_due_at and obj.next_update_due_at < timezone.now())

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = IncidentCorrectForm if obj else IncidentDeclareForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            fields = [
                "title",
                "services",
                "regions",
                "severity",
                "started_at",
                "detected_at",
                "message",
                "language",
                "next_update_due_at",
                "notify",
            ]
            return [(None, {"fields": fields})]
        return [
            (_("What the public sees (changes are shown as corrections)"), {
                "fields": ["title", "services", "regions", "severity", "started_at", "notify_correction"]
            }),
            (_("State (changed by publishing an update)"), {"fields": self.readonly_fields}),
        ]  # fmt: skip

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if not change:
                incident = services.incident_declare(
                    title=data["title"],
                    services=data["services"],
                    regions=data["regions"],
                    severity=data["severity"],
                    started_at=data["started_at"],
                    detected_at=data.get("detected_at"),
                    message=data["message"],
                    language=data["language"],
                    next_update_due_at=data.get("next_update_due_at"),
                    notify=data.get("notify", False),
                    author=request.user,
                )
                obj.pk = incident.pk
                return
            changes = {name: data[name] for name in form.changed_data if name in IncidentCorrectForm.Meta.fields}
            if changes:
                services.incident_correct(
                    incident=obj, changes=changes, notify=data.get("notify_correction", False), author=request.user
                )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def save_related(self, request, form, formsets, change):
        # Services and regions were written by the service (no form.save_m2m()); the
        # inlines are read-only, saving them writes nothing but completes the admin's log.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_urls(self):
        return [
            path(
                "<int:incident_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="incidents_incident_publish",
            ),
            path(
                "<int:incident_id>/updates/<int:update_id>/correct/",
                self.admin_site.admin_view(self.update_correct_view),
                name="incidents_incidentupdate_correct",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, incident_id: int):
        if not request.user.has_perm("incidents.add_incidentupdate"):
            raise PermissionDenied
        incident = get_object_or_404(Incident, pk=incident_id)
        initial = {"status": incident.status if incident.status != Incident.Status.SUSPECTED else "investigating"}
        form = UpdatePublishForm(request.POST or None, initial={**initial, "notify": True}, incident=incident)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.incident_update_publish(
                    incident=incident,
                    status=data["status"],
                    message=data["message"],
                    language=data["language"],
                    translations=form.translations(),
                    restored_percent=data.get("restored_percent"),
                    restored_region=data.get("restored_region"),
                    next_update_due_at=data.get("next_update_due_at"),
                    resolved_at=data.get("resolved_at"),
                    notify=data.get("notify", False),
                    author=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The update is published."))
                return redirect(reverse("admin:incidents_incident_change", args=[incident.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish an update"),
            "opts": self.model._meta,
            "original": incident,
            "incident": incident,
            "form": form,
            "counts": selectors.incident_audience_counts(incident=incident),
        }
        return TemplateResponse(request, "incidents/admin/publish.html", context)

    def update_correct_view(self, request, incident_id: int, update_id: int):
        if not request.user.has_perm("incidents.change_incident"):
            raise PermissionDenied
        update = get_object_or_404(
            IncidentUpdate.objects.select_related("incident"), pk=update_id, incident=incident_id
        )
        form = UpdateCorrectForm(request.POST or None, initial={"message": update.message})
        if request.method == "POST" and form.is_valid():
            try:
                corrections = services.incident_correct(
                    incident=update.incident,
                    changes={"updates": {update.pk: form.cleaned_data["message"]}},
                    notify=form.cleaned_data["notify"],
                    author=request.user,
                )
            except ValidationError as exc:
                form.add_error("message", exc.messages)
            else:
                if corrections:
                    messages.success(request, _("The correction is published."))
                else:
                    messages.info(request, _("The text is unchanged: nothing was corrected."))
                return redirect(reverse("admin:incidents_incident_change", args=[incident_id]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Correct an update"),
            "opts": self.model._meta,
            "original": update.incident,
            "incident": update.incident,
            "update": update,
            "form": form,
        }
        return TemplateResponse(request, "incidents/admin/update_correct.html", context)


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["contact", "service", "region", "created_at", "confirmed_at"]
    list_filter = ["service", ("confirmed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["contact", "service", "region"]
    search_fields = ["contact__email"]
    readonly_fields = ["contact", "service", "region", "created_at", "confirmed_at"]

    def has_add_permission(self, request) -> bool:
        return False  # visitors subscribe themselves (double opt-in)
