from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Password login by username or e-mail address."""

    username = forms.CharField(label=_("E-mail or username"), max_length=254)

    def clean(self):
        value = (self.cleaned_data.get("username") or "").strip()
        if "@" in value:
            User = get_user_model()
            match = User.objects.filter(email__iexact=value, is_active=True).values_list("username", flat=True)[:2]
            if len(match) == 1:
                self.cleaned_data["username"] = match[0]
        return super().clean()


class LoginLinkForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"), max_length=254)
