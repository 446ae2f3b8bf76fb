"""Pages reached by the signed links in every message: preferences and one-click unsubscribe."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.customers.models import Contact

from . import services, tokens
from .forms import PreferencesForm


def _contact_from(token: str, *, purpose: str) -> Contact:
    contact_id = tokens.read_token(token, purpose=purpose)
    contact = Contact.objects.filter(pk=contact_id).select_related("business").first() if contact_id else None
    if contact is None:
        raise Http404(_("This link is not valid."))
    return contact


@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    contact = _contact_from(token, purpose=tokens.PREFERENCES)
    if request.method == "POST":
        form = PreferencesForm(request.POST, contact=contact)
        if form.is_valid():
            services.contact_preferences_update(
                contact=contact,
                wants_email=form.cleaned_data["wants_email"],
                wants_sms=form.cleaned_data["wants_sms"],
                language=form.cleaned_data["language"],
                muted_kinds=form.cleaned_data["muted_kinds"],
                subscribed=form.cleaned_data["subscribed"],
            )
            messages.success(request, _("Your preferences are saved."))
            return redirect("notifications:preferences", token=token)
    else:
        form = PreferencesForm(
            contact=contact,
            initial={
                "subscribed": contact.unsubscribed_at is None,
                "wants_email": contact.wants_email,
                "wants_sms": contact.wants_sms,
                "language": contact.language,
                "muted_kinds": contact.muted_kinds if isinstance(contact.muted_kinds, list) else [],
            },
        )
    unsubscribe_token = tokens.make_token(contact.pk, purpose=tokens.UNSUBSCRIBE)
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "contact": contact, "unsubscribe_token": unsubscribe_token},
    )


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a CSRF token; the signed token authenticates
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    contact = _contact_from(token, purpose=tokens.UNSUBSCRIBE)
    if request.method == "POST":
        services.contact_unsubscribe(contact=contact)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(_("You are unsubscribed."), content_type="text/plain; charset=utf-8")
        return render(request, "notifications/unsubscribed.html", {"contact": contact}, status=200)
    preferences_token = tokens.make_token(contact.pk, purpose=tokens.PREFERENCES)
    return render(
        request, "notifications/unsubscribe.html", {"contact": contact, "preferences_token": preferences_token}
    )
