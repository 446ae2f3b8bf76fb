from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.customers.models import Language

from .kinds import _registry


def category_choices() -> list[tuple[str, str]]:
    labels = {
        "incident": _("Outages and their updates"),
        "complaint": _("Your complaints"),
        "petition": _("Petitions and compensation"),
        "report": _("Reports"),
        "account": _("Your account"),
    }
    categories = sorted({kind.category for kind in _registry.values() if kind.category})
    return [(category, labels.get(category, category)) for category in categories]


class PreferencesForm(forms.Form):
    subscribed = forms.BooleanField(label=_("Receive notifications"), required=False)
    wants_email = forms.BooleanField(label=_("By e-mail"), required=False)
    wants_sms = forms.BooleanField(label=_("By SMS"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The language of my company")), *Language.choices],
        required=False,
    )
    muted_kinds = forms.MultipleChoiceField(
        label=_("Do not send me"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["muted_kinds"].choices = category_choices()

    def clean(self):
        data = super().clean()
        if data.get("wants_email") and not self.contact.email:
            self.add_error("wants_email", _("We have no e-mail address for you."))
        if data.get("wants_sms") and not self.contact.phone:
            self.add_error("wants_sms", _("We have no mobile phone number for you."))
        return data
