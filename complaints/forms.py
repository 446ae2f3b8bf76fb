from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Currency

from .models import Category
from .uploads import MAX_FILES, validate_evidence_list


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Up to MAX_FILES files, each checked by content; cleans to (file, content type) pairs."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"})
        )
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [super(EvidenceField, self).clean(f, initial) for f in files if f]
        return validate_evidence_list(files)


class ComplaintForm(forms.Form):
    submission_token = forms.UUIDField(widget=forms.HiddenInput)
    subscription = forms.TypedChoiceField(label=_("Service and site"), coerce=int)
    category = forms.ChoiceField(label=_("What fails"), choices=Category.choices)
    since = forms.DateTimeField(
        label=_("Since when"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        min_length=5,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
        help_text=_("What happens, what you tried, who is affected."),
    )
    loss_amount = forms.DecimalField(
        label=_("Estimated loss"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(10_000_000),
        max_digits=12,
        decimal_places=2,
    )
    loss_currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, required=False)
    files = EvidenceField(
        label=_("Evidence"),
        help_text=_("Up to %(max)s files: PDF, PNG or JPEG, at most 10 MB each.") % {"max": MAX_FILES},
    )

    def __init__(self, *args, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.offer(subscriptions)

    def offer(self, subscriptions) -> None:
        """The subscriptions to choose from (with service and region joined)."""
        self.subscriptions = {s.pk: s for s in subscriptions}
        self.fields["subscription"].choices = [
            (s.pk, f"{s.service} – {s.site_label} ({s.region.name})") for s in self.subscriptions.values()
        ]

    def clean_since(self):
        since = self.cleaned_data["since"]
        now = timezone.now()
        if since > now + timezone.timedelta(minutes=5):
            raise ValidationError(_("The start of the problem cannot be in the future."), code="future")
        if since < now - timezone.timedelta(days=365):
            raise ValidationError(_("Complaints are accepted for problems of the last 12 months."), code="too_old")
        return since

    def clean_subscription(self):
        pk = self.cleaned_data["subscription"]
        if pk not in self.subscriptions:
            raise ValidationError(_("Choose one of your services."), code="invalid_choice")
        return self.subscriptions[pk]


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 5000}),
    )
    files = EvidenceField(label=_("Add files"), help_text=_("PDF, PNG or JPEG, at most 10 MB each."))

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("body") or "").strip() and not cleaned.get("files"):
            raise ValidationError(_("Write a message or add a file."), code="empty")
        return cleaned
