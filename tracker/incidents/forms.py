"""Forms of the public pages and of the admin's publish and correct views."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Language, Region, Service

from .models import Incident


class StatusSubscriptionForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.order_by("name"))
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.order_by("country", "name"))


class UpdatePublishForm(forms.Form):
    """Staff write in one language and may add translations into the others."""

    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    language = forms.ChoiceField(label=_("Written in"), choices=Language.choices)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    message_fr = forms.CharField(
        label=_("French translation"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    message_de = forms.CharField(
        label=_("German translation"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    message_it = forms.CharField(
        label=_("Italian translation"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    message_en = forms.CharField(
        label=_("English translation"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    restored_percent = forms.IntegerField(
        label=_("Share of affected customers restored (%)"), min_value=0, max_value=100, required=False
    )
    restored_region = forms.ModelChoiceField(
        label=_("Share restored applies to"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("All affected regions"),
    )
    next_update_due_at = forms.DateTimeField(
        label=_("Next update by"), required=False, help_text=_("For example 2026-11-22 14:30.")
    )
    resolved_at = forms.DateTimeField(label=_("Resolved at"), required=False, help_text=_("Required to resolve."))
    notify = forms.BooleanField(label=_("Notify the affected contacts"), required=False, initial=True)

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["restored_region"].queryset = incident.regions.order_by("country", "name")

    def translations(self) -> dict[str, str]:
        return {code: self.cleaned_data.get(f"message_{code}", "") for code, _label in settings.LANGUAGES}

    def clean(self):
        data = super().clean()
        now = timezone.now()
        due = data.get("next_update_due_at")
        if due and due <= now:
            self.add_error("next_update_due_at", _("The next update must be promised for a time to come."))
        if data.get("status") == Incident.Status.RESOLVED and not data.get("resolved_at"):
            self.add_error("resolved_at", _("Give the time the outage was resolved."))
        if data.get("restored_region") and data.get("restored_percent") is None:
            self.add_error("restored_percent", _("Give the share restored in this region."))
        return data


class IncidentDeclareForm(forms.ModelForm):
    """The admin's add form: the incident and its first public update."""

    message = forms.CharField(label=_("First update"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)
    language = forms.ChoiceField(label=_("Written in"), choices=Language.choices)
    notify = forms.BooleanField(label=_("Notify the affected contacts"), required=False, initial=True)

    class Meta:
        model = Incident
        fields = ["title", "services", "regions", "severity", "started_at", "detected_at", "next_update_due_at"]

    def clean(self):
        data = super().clean()
        now = timezone.now()
        started, detected, due = data.get("started_at"), data.get("detected_at"), data.get("next_update_due_at")
        if started and started > now:
            self.add_error("started_at", _("This time is in the future."))
        if detected and detected > now:
            self.add_error("detected_at", _("This time is in the future."))
        elif detected and started and detected < started:
            self.add_error("detected_at", _("An outage cannot be detected before it started."))
        if due and due <= now:
            self.add_error("next_update_due_at", _("The next update must be promised for a time to come."))
        return data


class IncidentCorrectForm(forms.ModelForm):
    """The admin's change form: every change to what the public sees becomes a correction."""

    notify_correction = forms.BooleanField(
        label=_("Notify the affected contacts of this correction"), required=False, initial=False
    )

    class Meta:
        model = Incident
        fields = ["title", "services", "regions", "severity", "started_at"]

    def clean_started_at(self):
        started = self.cleaned_data["started_at"]
        if started > timezone.now():
            raise forms.ValidationError(_("This time is in the future."))
        if self.instance.resolved_at and started > self.instance.resolved_at:
            raise forms.ValidationError(_("An outage cannot start after it was resolved."))
        return started


class UpdateCorrectForm(forms.Form):
    """Correct the text of a published update; the previous text stays visible as a correction."""

    message = forms.CharField(label=_("Corrected text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    notify = forms.BooleanField(label=_("Notify the affected contacts of this correction"), required=False)
