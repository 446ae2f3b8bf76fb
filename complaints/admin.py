"""Triage admin built for a million complaints: no full COUNT, joined rows, indexed filters.

Every change goes through complaints.services (bulk actions included), so the
workflow rules and the history hold here as everywhere else.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Business, Region, Service
from tracker.incidents.models import Incident

from . import selectors, services
from .canned import canned_choices
from .models import Complaint, ComplaintAttachment, ComplaintEvent, ComplaintSpike, Priority, Status
from .spikes import complaints_link_many, spike_acknowledge

REFERENCE_RE = re.compile(r"^C-\d{4}-\d{6,}$")
COUNT_CAP = 2_000


class CappedCountPaginator(Paginator):
    """Never counts more than COUNT_CAP rows; the whole table's size comes from PostgreSQL's statistics."""

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if connection.vendor == "postgresql" and not qs.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [qs.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] and row[0] > COUNT_CAP:
                return int(row[0])
        return qs.order_by()[:COUNT_CAP].count()


class PlainActionCheckbox:
    """The row's action checkbox as Django writes it, without rendering a form widget template for every row.

    Django's ModelAdmin.action_checkbox renders a CheckboxInput through the template engine: about a third of a
    50-row changelist's rendering time, for one <input>.
    """

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            label,
        )


def _staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


FILTER_CACHE_SECONDS = 60


def _cached_choices(key: str, compute) -> list:
    """Filter choices change rarely: one query a minute instead of one per page view."""
    return cache.get_or_set(f"complaints-admin-filter:{key}", compute, FILTER_CACHE_SECONDS)


class _CachedRelatedFilter(admin.SimpleListFilter):
    field = ""

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{f"{self.field}_id": int(value)})
        return queryset


class ServiceFilter(_CachedRelatedFilter):
    title = _("service")
    parameter_name = "service__id__exact"
    field = "service"

    def lookups(self, request, model_admin):
        rows = _cached_choices("services", lambda: list(Service.objects.values_list("pk", "name", "name_translations")))
        language = get_language() or "en"
        return [(str(pk), (translations or {}).get(language) or name) for pk, name, translations in rows]


class RegionFilter(_CachedRelatedFilter):
    title = _("region")
    parameter_name = "region__id__exact"
    field = "region"

    def lookups(self, request, model_admin):
        rows = _cached_choices("regions", lambda: list(Region.objects.values_list("pk", "code", "name")))
        return [(str(pk), f"{name} ({code})") for pk, code, name in rows]


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            ("unassigned", _("Unassigned")),
            ("breaching", _("Breaching within an hour")),
            ("open_incident", _("Linked to an open incident")),
        ]

    def queryset(self, request, queryset):
        open_statuses = [Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING]
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True, status__in=open_statuses)
        if self.value() == "breaching":
            return queryset.filter(sla_due_at__lte=timezone.now() + timedelta(hours=1))
        if self.value() == "open_incident":
            open_incidents = Incident.objects.exclude(status=Incident.Status.RESOLVED).values("pk")
            return queryset.filter(incident__in=open_incidents, status__in=open_statuses)
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("Breached")), ("at_risk", _("At risk (due within an hour)"))]

    def queryset(self, request, queryset):
        if self.value() == "breached":
            return queryset.filter(sla_breached=True)
        if self.value() == "at_risk":
            now = timezone.now()
            return queryset.filter(sla_due_at__gte=now, sla_due_at__lte=now + timedelta(hours=1))
        return queryset


class IncidentFilter(admin.SimpleListFilter):
    """Open and recent incidents only (a related-field filter would list them all)."""

    title = _("incident")
    parameter_name = "incident__id__exact"

    def lookups(self, request, model_admin):
        recent = Incident.objects.filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=timezone.now() - timedelta(days=30))
        ).order_by("-started_at")[:30]
        return [("none", _("None")), *((str(i.pk), i.title) for i in recent)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(incident__isnull=True)
        if value and value.isdigit():
            return queryset.filter(incident_id=int(value))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee__id__exact"

    def lookups(self, request, model_admin):
        users = _cached_choices("staff", lambda: list(_staff_users().values_list("pk", "username")))
        return [("me", _("Me")), *((str(pk), username) for pk, username in users)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee_id=request.user.pk)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


# --- Forms of the intermediate pages -------------------------------------------------------------


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=_staff_users(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff_users()


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class IncidentForm(forms.Form):
    incident = forms.ModelChoiceField(label=_("Incident"), queryset=Incident.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.exclude(status=Incident.Status.RESOLVED).order_by(
            "-started_at"
        )


class DuplicateForm(forms.Form):
    primary = forms.CharField(label=_("Reference of the complaint they duplicate"), max_length=20)

    def clean_primary(self):
        value = self.cleaned_data["primary"].strip().upper()
        primary = Complaint.objects.filter(reference=value).first()
        if primary is None:
            raise ValidationError(_("No complaint has the reference %(ref)s."), params={"ref": value})
        return primary


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    canned = forms.ChoiceField(label=_("Canned answer"), choices=canned_choices, required=False)
    public_reply = forms.CharField(
        label=_("Public reply"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(
        label=_("Reason (required to reject)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReplyForm(forms.Form):
    canned = forms.ChoiceField(label=_("Canned answer"), choices=canned_choices, required=False)
    body = forms.CharField(label=_("Reply to the customer"), required=False, max_length=5000, widget=forms.Textarea)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


def _report(modeladmin, request, done: int, errors: list[str]) -> None:
    modeladmin.message_user(request, _("%(count)s complaints changed.") % {"count": done}, messages.SUCCESS)
    for error in errors[:20]:
        modeladmin.message_user(request, error, messages.ERROR)


def _intermediate(modeladmin, request, queryset, *, form, action: str, title, confirm_list: bool = False):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "action": action,
        "ids": [str(pk) for pk in queryset.values_list("pk", flat=True)[:1000]],
        "complaints": list(queryset.select_related("business", "service", "region")[:200]) if confirm_list else [],
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "complaints/admin/action.html", context)


def _ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True)[:1000])


@admin.register(Complaint)
class ComplaintAdmin(PlainActionCheckbox, admin.ModelAdmin):
    paginator = CappedCountPaginator
    show_full_result_count = False
    # Facet counts would run one COUNT per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_display = [
        "reference",
        "company",
        "service",
        "region",
        "category",
        "status",
        "priority",
        "assignee",
        "incident",
        "sla",
        "loss",
        "created_at",
    ]
    list_select_related = ["business", "service", "region", "assignee", "incident"]
    list_filter = [
        QueueFilter,
        "status",
        ServiceFilter,
        RegionFilter,
        IncidentFilter,
        "priority",
        AssigneeFilter,
        SlaFilter,
        "has_loss",
    ]
    search_fields = ["reference"]
    search_help_text = _("Exact reference (C-2026-000123), customer number, or the start of the company name.")
    ordering = ["-id"]
    sortable_by = ["reference", "created_at", "priority", "status"]
    actions = [
        "assign",
        "set_priority",
        "link_to_incident",
        "mark_duplicate",
        "unmerge",
        "change_status",
    ]
    change_form_template = "admin/complaints/complaint/change_form.html"
    change_list_template = "admin/complaints/complaint/change_list.html"

    # Complaints are filed by customers and never deleted; staff change them through the workflow.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_triage_permission(self, request):
        return request.user.has_perm("complaints.triage_complaint")

    def save_model(self, request, obj, form, change):
        """Nothing on the change form is editable: changes go through the reply, note and status forms."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    fieldsets = [
        (None, {"fields": [
            ("reference", "status", "priority"), ("business", "contact"), ("service", "region", "site_label"),
            ("category", "since"), "description", ("loss_amount", "loss_currency"),
        ]}),
        (_("Handling"), {"fields": [("assignee", "incident", "duplicate_of"), ("created_at", "closed_at")]}),
        (_("Service level"), {"classes": ["collapse"], "fields": [
            ("first_response_due_at", "first_responded_at"), ("resolution_due_at", "sla_due_at"),
            ("sla_paused_at", "sla_breached"),
        ]}),
    ]  # fmt: skip

    @admin.display(description=_("company"), ordering="business__company_name")
    def company(self, obj):
        return obj.business.company_name

    @admin.display(description=_("SLA due"), ordering="sla_due_at")
    def sla(self, obj):
        if obj.sla_breached:
            return _("breached")
        if obj.sla_due_at:
            return timezone.localtime(obj.sla_due_at).strftime("%Y-%m-%d %H:%M")
        return "–"

    @admin.display(description=_("loss"))
    def loss(self, obj):
        return f"{obj.loss_amount} {obj.loss_currency}" if obj.loss_amount is not None else ""

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()[:200]
        if not term:
            return queryset, False
        if REFERENCE_RE.match(term.upper()):
            return queryset.filter(reference=term.upper()), False
        business_ids = list(
            Business.objects.filter(Q(customer_number=term) | Q(company_name__istartswith=term)).values_list(
                "pk", flat=True
            )[:500]
        )
        return queryset.filter(business_id__in=business_ids), False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "spikes": list(selectors.spikes_open()[:5])}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if complaint is not None:
            extra.update(
                {
                    "timeline": selectors.complaint_timeline(complaint=complaint),
                    "attachments": selectors.complaint_attachments(complaint=complaint),
                    "reply_form": ReplyForm(),
                    "note_form": NoteForm(),
                    "status_form": StatusForm(),
                    "can_triage": self.has_triage_permission(request),
                    "show_save": False,
                    "show_save_and_continue": False,
                    "show_save_and_add_another": False,
                    "show_delete": False,
                }
            )
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        urls = super().get_urls()
        own = [
            path("<int:pk>/act/", self.admin_site.admin_view(self.act_view), name="complaints_complaint_act"),
        ]
        return own + urls

    @staticmethod
    def _back(pk: int):
        return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[pk]))

    def act_view(self, request, pk: int):
        """Reply, note or status change from the change page, through the services."""
        if request.method != "POST":
            return self._back(pk)
        if not self.has_triage_permission(request):
            raise PermissionDenied
        complaint = get_object_or_404(Complaint, pk=pk)
        what = request.POST.get("what", "")
        try:
            if what == "reply":
                form = ReplyForm(request.POST)
                if form.is_valid():
                    services.complaint_reply(
                        complaint_id=complaint.pk,
                        actor=request.user,
                        body=form.cleaned_data["body"],
                        canned=form.cleaned_data["canned"],
                    )
                    self.message_user(request, _("Reply sent to the customer."), messages.SUCCESS)
            elif what == "note":
                form = NoteForm(request.POST)
                if form.is_valid():
                    services.complaint_note(
                        complaint_id=complaint.pk, actor=request.user, body=form.cleaned_data["body"]
                    )
                    self.message_user(request, _("Internal note added."), messages.SUCCESS)
            elif what == "status":
                form = StatusForm(request.POST)
                if form.is_valid():
                    services.complaint_transition(
                        complaint_id=complaint.pk,
                        actor=request.user,
                        to_status=form.cleaned_data["to_status"],
                        reason=form.cleaned_data["reason"],
                        public_reply=form.cleaned_data["public_reply"],
                        canned=form.cleaned_data["canned"],
                    )
                    self.message_user(request, _("Status changed."), messages.SUCCESS)
            elif what == "assign_me":
                services.complaint_assign(complaint_id=complaint.pk, actor=request.user, assignee=request.user)
                self.message_user(request, _("Assigned to you."), messages.SUCCESS)
            else:
                form = None
            if what in {"reply", "note", "status"} and not form.is_valid():
                for errors in form.errors.values():
                    for error in errors:
                        self.message_user(request, error, messages.ERROR)
        except ValidationError as exc:
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
        return self._back(pk)

    # --- Bulk actions: each goes through the services, one complaint at a time, with its event ---

    @admin.action(description=_("Assign selected complaints"), permissions=["triage"])
    def assign(self, request, queryset):
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, errors = services.complaints_assign(
                complaint_ids=_ids(queryset), actor=request.user, assignee=form.cleaned_data["assignee"]
            )
            return _report(self, request, done, errors)
        return _intermediate(self, request, queryset, form=form, action="assign", title=_("Assign complaints"))

    @admin.action(description=_("Set the priority of selected complaints"), permissions=["triage"])
    def set_priority(self, request, queryset):
        form = PriorityForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, errors = services.complaints_set_priority(
                complaint_ids=_ids(queryset), actor=request.user, priority=form.cleaned_data["priority"]
            )
            return _report(self, request, done, errors)
        return _intermediate(self, request, queryset, form=form, action="set_priority", title=_("Set priority"))

    @admin.action(description=_("Link selected complaints to an incident"), permissions=["triage"])
    def link_to_incident(self, request, queryset):
        form = IncidentForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = complaints_link_many(
                complaint_ids=_ids(queryset), incident=form.cleaned_data["incident"], actor=request.user
            )
            return _report(self, request, done, [])
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            action="link_to_incident",
            title=_("Link these complaints to an incident?"),
            confirm_list=True,
        )

    @admin.action(description=_("Mark selected complaints as duplicates of…"), permissions=["triage"])
    def mark_duplicate(self, request, queryset):
        form = DuplicateForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, errors = services.complaints_mark_duplicate(
                complaint_ids=_ids(queryset), actor=request.user, primary=form.cleaned_data["primary"]
            )
            return _report(self, request, done, errors)
        return _intermediate(
            self,
            request,
            queryset,
            form=form,
            action="mark_duplicate",
            title=_("Mark as duplicates"),
            confirm_list=True,
        )

    @admin.action(description=_("Undo duplicate (restore the earlier status)"), permissions=["triage"])
    def unmerge(self, request, queryset):
        done, errors = services.complaints_unmerge(complaint_ids=_ids(queryset), actor=request.user)
        _report(self, request, done, errors)

    @admin.action(description=_("Change status with a public reply"), permissions=["triage"])
    def change_status(self, request, queryset):
        form = StatusForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done, errors = services.complaints_transition(
                complaint_ids=_ids(queryset),
                actor=request.user,
                to_status=form.cleaned_data["to_status"],
                reason=form.cleaned_data["reason"],
                public_reply=form.cleaned_data["public_reply"],
                canned=form.cleaned_data["canned"],
            )
            return _report(self, request, done, errors)
        return _intermediate(self, request, queryset, form=form, action="change_status", title=_("Change status"))


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(admin.ModelAdmin):
    """History is read-only for every role."""

    list_display = ["created_at", "complaint", "kind", "actor", "from_status", "to_status", "is_public"]
    list_select_related = ["complaint", "actor"]
    list_filter = ["kind", "is_public"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    raw_id_fields = ["complaint"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplaintAttachment)
class ComplaintAttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "complaint", "content_type", "size", "created_at"]
    list_select_related = ["complaint"]
    paginator = CappedCountPaginator
    show_full_result_count = False
    fields = ["complaint", "original_name", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ComplaintSpike)
class ComplaintSpikeAdmin(admin.ModelAdmin):
    list_display = ["detected_at", "service", "region", "businesses", "previous_businesses", "baseline", "incident",
                    "acknowledged_at"]  # fmt: skip
    list_select_related = ["service", "region", "incident"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter)]
    actions = ["acknowledge"]
    readonly_fields = [f.name for f in ComplaintSpike._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Acknowledge selected spikes"), permissions=["change"])
    def acknowledge(self, request, queryset):
        for pk in queryset.values_list("pk", flat=True):
            spike_acknowledge(spike_id=pk, actor=request.user)


# Link proposals have their own module; importing it registers their admin.
from . import admin_linking  # noqa: E402, F401
