from decimal import Decimal

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Currency

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024


class SignatureForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, help_text=_("We send you a link to confirm your signature.")
    )
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    customer_number = forms.CharField(
        label=_("Customer number"),
        max_length=20,
        required=False,
        help_text=_("Optional. With it, your signature counts as a verified customer claim."),
    )
    loss_amount = forms.DecimalField(
        label=_("Declared loss"), min_value=Decimal("0"), max_digits=12, decimal_places=2, initial=Decimal("0")
    )
    loss_currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    hours_without_service = forms.IntegerField(
        label=_("Hours without service"), min_value=0, max_value=24 * 366, initial=0
    )
    lines_affected = forms.IntegerField(label=_("Lines affected"), min_value=0, max_value=100000, initial=0)
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        max_length=150,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
        help_text=_("PDF, PNG or JPEG, at most 5 MB."),
    )
    wants_updates = forms.BooleanField(label=_("Tell me when the petition reaches a milestone"), required=False)
    consent = forms.BooleanField(
        label=_("I agree that my name, company and declared loss are used for this claim."),
        error_messages={"required": _("Your consent is needed to sign.")},
    )
    # Honeypot: hidden from people, filled by robots.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)

    def clean_evidence(self):
        evidence = self.cleaned_data.get("evidence")
        if evidence and evidence.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return evidence


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)


class DecisionAnswerForm(forms.Form):
    ACTIONS = [("accept", _("Accept")), ("counter", _("Counter")), ("reject", _("Reject"))]

    action = forms.ChoiceField(choices=ACTIONS)
    amount = forms.DecimalField(
        label=_("Amount you ask for"), required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "counter" and data.get("amount") is None:
            self.add_error("amount", _("Enter the amount you ask for."))
        return data


class ProposalForm(forms.Form):
    """A business proposes a petition about an outage that hit it; staff moderate it."""

    incident = forms.ModelChoiceField(label=_("Outage"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))
    demand = forms.CharField(label=_("What you ask for"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip

    def __init__(self, *args, incidents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = incidents
