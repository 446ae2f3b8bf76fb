"""Staff: moderation, answers, bulk invalidation, compensation rules and decisions.

Thin: every write calls a service.
"""

import posixpath

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import decisions, services
from .models import (
    CompensationDecision,
    CompensationRule,
    Petition,
    PetitionThreshold,
    Signature,
    SignatureInvalidation,
)


class ThresholdInline(admin.TabularInline):
    model = PetitionThreshold
    extra = 1
    fields = ["count", "label", "answer_within_days", "reached_at", "notified_at"]
    readonly_fields = ["reached_at", "notified_at"]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def _translation_field_name(field: str, code: str) -> str:
    return f"{field}_{code}"


def _translation_form_field(field: str) -> forms.CharField:
    rows = {"title": None, "text": 8, "demand": 3, "answer": 8}[field]
    return forms.CharField(
        label=capfirst(Petition._meta.get_field(field).verbose_name),
        max_length=Petition.TRANSLATED_FIELDS[field],
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(attrs={"class": "vTextField"}),
    )


class PetitionAdminFormBase(forms.ModelForm):
    """The petition as written, plus one optional field per translated text and language."""

    class Meta:
        model = Petition
        # translations: edited through the per-language fields below.
        fields = ["slug", "title", "language", "text", "demand", "incidents", "proposed_by", "created_by",
                  "opens_at", "closes_at"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, fields in (self.instance.translations or {}).items():
            for field, text in fields.items():
                name = _translation_field_name(field, code)
                if name in self.fields:
                    self.initial.setdefault(name, text)

    def translations(self) -> dict[str, dict[str, str]]:
        return {
            code: {
                field: self.cleaned_data.get(_translation_field_name(field, code), "")
                for field in Petition.TRANSLATED_FIELDS
                if _translation_field_name(field, code) in self.cleaned_data
            }
            for code, _label in settings.LANGUAGES
        }

    def clean(self):
        data = super().clean()
        language = data.get("language") or self.instance.language
        try:
            services.petition_translations_clean(self.translations(), language=language)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data


PetitionAdminForm = type(
    "PetitionAdminForm",
    (PetitionAdminFormBase,),
    {
        _translation_field_name(field, code): _translation_form_field(field)
        for code, _label in settings.LANGUAGES
        for field in Petition.TRANSLATED_FIELDS
    },
)


class AnswerFormBase(forms.Form):
    answer = forms.CharField(label=_("Official answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 10}))


def _answer_translations(data: dict) -> dict[str, str]:
    return {code: data.get(f"answer_{code}", "") for code, _label in settings.LANGUAGES}


# The answer as written, and optionally in each language: every signer is e-mailed in theirs.
AnswerForm = type(
    "AnswerForm",
    (AnswerFormBase,),
    {
        f"answer_{code}": forms.CharField(
            label=capfirst(label),
            max_length=10000,
            required=False,
            widget=forms.Textarea(attrs={"rows": 5}),
            help_text=_("Leave empty to send the answer as written."),
        )
        for code, label in settings.LANGUAGES
    },
)


class InvalidateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    ip_hash = forms.CharField(label=_("IP hash"), max_length=64, required=False)
    email_domain = forms.CharField(label=_("E-mail domain"), max_length=253, required=False)
    since = forms.DateTimeField(label=_("Signed from"), required=False)
    until = forms.DateTimeField(label=_("Signed until"), required=False)


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    form = PetitionAdminForm
    list_display = ["title", "status", "confirmed_count", "opens_at", "closes_at"]
    list_filter = ["status"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["incidents"]
    inlines = [ThresholdInline]
    readonly_fields = ["status", "rejection_reason", "answer", "answered_at", "answered_by", "anonymised_at"]
    actions = ["submit_action", "open_action", "close_action"]
    list_select_related = ["tally"]
    change_form_template = "petitions/admin/petition_change_form.html"

    @admin.display(description=_("confirmed signatures"))
    def confirmed_count(self, obj):
        return getattr(getattr(obj, "tally", None), "confirmed", 0)

    def get_fieldsets(self, request, obj=None):
        translation_fields = {
            _translation_field_name(field, code): code
            for code, _label in settings.LANGUAGES
            for field in Petition.TRANSLATED_FIELDS
        }
        main = [name for name in self.get_fields(request, obj) if name not in translation_fields]
        per_language = [
            (
                _("Translation: %(language)s") % {"language": label},
                {
                    "classes": ["collapse"],
                    "fields": [_translation_field_name(field, code) for field in Petition.TRANSLATED_FIELDS],
                },
            )
            for code, label in settings.LANGUAGES
        ]
        return [(None, {"fields": main}), *per_language]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.status = Petition.Status.DRAFT
        super().save_model(request, obj, form, change)
        services.petition_translations_set(petition=obj, translations=form.translations())

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from .models import PetitionTally

        PetitionTally.objects.get_or_create(petition=form.instance)

    def _transition(self, request, queryset, to):
        if not request.user.has_perm("petitions.moderate_petition"):
            raise PermissionDenied
        done = 0
        for petition in queryset:
            try:
                services.petition_transition(petition=petition, to=to, by=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{petition}: {' '.join(exc.messages)}", messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d petitions updated.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Submit for moderation"))
    def submit_action(self, request, queryset):
        self._transition(request, queryset, Petition.Status.PENDING)

    @admin.action(description=_("Open for signatures"))
    def open_action(self, request, queryset):
        self._transition(request, queryset, Petition.Status.OPEN)

    @admin.action(description=_("Close"))
    def close_action(self, request, queryset):
        self._transition(request, queryset, Petition.Status.CLOSED)

    def get_urls(self):
        return [
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view), name="petitions_petition_reject"),
            path("<int:pk>/answer/", self.admin_site.admin_view(self.answer_view), name="petitions_petition_answer"),
            path(
                "<int:pk>/invalidate/",
                self.admin_site.admin_view(self.invalidate_view),
                name="petitions_petition_invalidate",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = (extra_context or {}) | {
            "petition_tools": [
                (reverse("admin:petitions_petition_reject", args=[object_id]), _("Reject with a reason")),
                (reverse("admin:petitions_petition_answer", args=[object_id]), _("Publish the official answer")),
                (reverse("admin:petitions_petition_invalidate", args=[object_id]), _("Invalidate signatures")),
            ]
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _tool(self, request, pk, *, form_class, permission, title, apply):
        petition = self.get_object(request, str(pk))
        if petition is None:
            return redirect("admin:petitions_petition_changelist")
        if not request.user.has_perm(permission):
            raise PermissionDenied
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                note = apply(petition, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(request, note, messages.SUCCESS)
                return redirect("admin:petitions_petition_change", petition.pk)
        context = self.admin_site.each_context(request) | {"title": title, "form": form, "original": petition,
                                                           "opts": self.model._meta}  # fmt: skip
        return render(request, "petitions/admin/tool.html", context)

    def reject_view(self, request, pk):
        def apply(petition, data):
            services.petition_transition(
                petition=petition, to=Petition.Status.REJECTED, by=request.user, reason=data["reason"]
            )
            return _("The petition is rejected.")

        return self._tool(request, pk, form_class=RejectForm, permission="petitions.moderate_petition",
                          title=_("Reject the petition"), apply=apply)  # fmt: skip

    def answer_view(self, request, pk):
        def apply(petition, data):
            services.petition_answer(
                petition=petition, answer=data["answer"], by=request.user, translations=_answer_translations(data)
            )
            return _("The answer is published; the signers are being told.")

        return self._tool(request, pk, form_class=AnswerForm, permission="petitions.answer_petition",
                          title=_("Publish the official answer"), apply=apply)  # fmt: skip

    def invalidate_view(self, request, pk):
        def apply(petition, data):
            record = services.signatures_invalidate(petition=petition, by=request.user, **data)
            return _("%(count)d signatures invalidated.") % {"count": record.affected}

        return self._tool(request, pk, form_class=InvalidateForm, permission="petitions.invalidate_signature",
                          title=_("Invalidate signatures"), apply=apply)  # fmt: skip


class InvalidateSelectedForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "company", "petition", "verified_customer", "created_at", "confirmed_at",
                    "withdrawn_at", "invalidated_at", "loss_amount", "loss_currency"]  # fmt: skip
    list_filter = ["petition", "verified_customer", ("confirmed_at", admin.EmptyFieldListFilter),
                   ("invalidated_at", admin.EmptyFieldListFilter), "loss_currency"]  # fmt: skip
    search_fields = ["email", "email_domain", "ip_hash", "company", "customer_number"]
    list_select_related = ["petition"]
    date_hierarchy = "created_at"
    actions = ["invalidate_action"]
    # The evidence file is private (no public URL): a download link through the staff-only view instead.
    readonly_fields = [f.name if f.name != "evidence" else "evidence_download" for f in Signature._meta.fields]
    exclude = ["evidence"]

    @admin.display(description=_("evidence"))
    def evidence_download(self, obj: Signature) -> str:
        if not obj.evidence:
            return "-"
        return format_html(
            '<a href="{}" download>{}</a>',
            reverse("petitions:evidence", args=[obj.pk]),
            posixpath.basename(obj.evidence.name),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Invalidate the selected signatures (with a reason)"),
                  permissions=["invalidate"])  # fmt: skip
    def invalidate_action(self, request, queryset):
        form = InvalidateSelectedForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            by_petition: dict = {}
            for pk, petition_id in queryset.values_list("pk", "petition_id"):
                by_petition.setdefault(petition_id, []).append(pk)
            total = 0
            for petition in Petition.objects.filter(pk__in=by_petition):
                record = services.signatures_invalidate(
                    petition=petition,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                    signature_ids=by_petition[petition.pk],
                )
                total += record.affected
            self.message_user(request, _("%(count)d signatures invalidated.") % {"count": total}, messages.SUCCESS)
            return None
        context = self.admin_site.each_context(request) | {
            "title": _("Invalidate signatures"),
            "form": form,
            "queryset": queryset,
            "opts": self.model._meta,
            "action": "invalidate_action",
        }
        return render(request, "petitions/admin/invalidate_selected.html", context)

    def has_invalidate_permission(self, request):
        return request.user.has_perm("petitions.invalidate_signature")


@admin.register(SignatureInvalidation)
class SignatureInvalidationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "petition", "reason", "affected", "created_by"]
    list_select_related = ["petition", "created_by"]
    readonly_fields = [f.name for f in SignatureInvalidation._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CompensationRuleForm(forms.ModelForm):
    class Meta:
        model = CompensationRule
        fields = ["incident", "name", "preset", "params", "effective_from"]

    def clean(self):
        data = super().clean()
        from . import compensation

        try:
            compensation.rules_from(data.get("preset") or "custom", data.get("params") or {})
        except compensation.RulesError as exc:
            self.add_error("params", str(exc))
        return data


@admin.register(CompensationRule)
class CompensationRuleAdmin(admin.ModelAdmin):
    form = CompensationRuleForm
    list_display = ["name", "incident", "preset", "effective_from"]
    list_filter = ["preset"]
    list_select_related = ["incident"]
    autocomplete_fields = []
    actions = ["propose_action"]

    @admin.action(description=_("Compute proposals for the rule's incident"))
    def propose_action(self, request, queryset):
        for rule in queryset.select_related("incident"):
            if rule.incident is None:
                self.message_user(request, _("%(rule)s has no incident.") % {"rule": rule}, messages.WARNING)
                continue
            try:
                count = decisions.compensation_propose(incident=rule.incident, rule=rule, by=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, _("%(count)d proposals written.") % {"count": count}, messages.SUCCESS)


@admin.register(CompensationDecision)
class CompensationDecisionAdmin(admin.ModelAdmin):
    list_display = ["business", "incident", "proposed_amount", "offered_amount", "counter_amount", "currency",
                    "claimed_amount", "flagged", "status", "exported_at"]  # fmt: skip
    list_filter = ["status", "flagged", "currency", "incident"]
    search_fields = ["business__company_name", "business__customer_number"]
    list_select_related = ["business", "incident"]
    readonly_fields = [f.name for f in CompensationDecision._meta.fields]
    actions = ["offer_action", "offer_counter_action", "approve_action", "export_action"]

    def has_add_permission(self, request):
        return False

    def _each(self, request, queryset, fn, done_message):
        done = 0
        for decision in queryset:
            try:
                fn(decision)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(request, f"{decision}: {text}", messages.ERROR)
        if done:
            self.message_user(request, done_message % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Offer the proposed amount"), permissions=["change"])
    def offer_action(self, request, queryset):
        self._each(request, queryset, lambda d: decisions.decision_offer(decision=d, by=request.user),
                   _("%(count)d offers made (over the limit they wait for a second approver)."))  # fmt: skip

    @admin.action(description=_("Offer the amount the business asked for (after a counter-offer)"),
                  permissions=["change"])  # fmt: skip
    def offer_counter_action(self, request, queryset):
        def offer(decision):
            if decision.counter_amount is None:
                raise ValidationError(_("The business has not made a counter-offer."))
            decisions.decision_offer(decision=decision, by=request.user, amount=decision.counter_amount)

        self._each(request, queryset, offer, _("%(count)d counter-offers taken up."))

    @admin.action(description=_("Approve (second approver)"), permissions=["approve"])
    def approve_action(self, request, queryset):
        self._each(request, queryset, lambda d: decisions.decision_approve(decision=d, by=request.user),
                   _("%(count)d offers approved."))  # fmt: skip

    def has_approve_permission(self, request):
        return request.user.has_perm(decisions.APPROVE_PERMISSION)

    @admin.action(description=_("Export accepted credits for billing (CSV)"), permissions=["change"])
    def export_action(self, request, queryset):
        content = decisions.decisions_export(queryset=queryset)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="compensation-{stamp}.csv"'
        return response
