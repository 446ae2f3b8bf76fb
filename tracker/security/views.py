"""Second factor pages: overview, enrolment (QR code, recovery codes shown once), verification."""

import logging
from urllib.parse import urlencode

import django_otp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import otp, sessions
from .forms import ConfirmTokenForm, TokenForm
from .middleware import SESSION_ENROLLED, is_verified
from .models import RecoveryCodeDevice
from .redirects import safe_next_url

security_log = logging.getLogger("tracker.security")


def _second_factor_login(request, device) -> None:
    """Mark the session verified, under a new session key (the privilege level changed)."""
    request.session.cycle_key()
    django_otp.login(request, device)
    request.session[SESSION_ENROLLED] = True


def _default_next(request) -> str:
    return reverse("admin:index") if request.user.is_staff else reverse("home")


def _show_codes(request, codes: list[str]):
    response = render(request, "security/recovery_codes.html", {"codes": codes, "next": safe_next_url(request, "")})
    response.no_store = True
    return response


@never_cache
@login_required
def overview(request):
    recovery = RecoveryCodeDevice.objects.filter(user=request.user).first()
    return render(
        request,
        "security/overview.html",
        {
            "enabled": otp.has_second_factor(user=request.user),
            "verified": is_verified(request.user),
            "remaining_codes": recovery.remaining if recovery else 0,
        },
    )


@never_cache
@login_required
def otp_setup(request):
    user = request.user
    # Never add an authenticator on the strength of a password alone when one exists.
    if otp.has_second_factor(user=user) and not is_verified(user):
        return redirect(f"{reverse('security:otp_verify')}?{urlencode({'next': reverse('security:otp_setup')})}")
    device = otp.totp_device_begin(user=user)
    form = ConfirmTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = otp.totp_device_confirm(user=user, token=form.cleaned_data["token"].strip())
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            device.refresh_from_db()
            _second_factor_login(request, device)
            security_log.info("security: second factor enrolled user=%s device=totp", user.pk)
            return _show_codes(request, codes)
    return render(
        request,
        "security/otp_setup.html",
        {
            "form": form,
            "qr_svg": otp.qr_svg(device.config_url),
            "secret": otp.totp_secret_for_display(device),
            "next": safe_next_url(request, ""),
        },
    )


@never_cache
@login_required
def otp_verify(request):
    user = request.user
    if not otp.has_second_factor(user=user):
        query = urlencode({"next": safe_next_url(request, _default_next(request))})
        return redirect(f"{reverse('security:otp_setup')}?{query}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = otp.second_factor_verify(user=user, token=form.cleaned_data["token"])
        if device is None:
            security_log.warning("security: second factor failed user=%s", user.pk)
            form.add_error("token", _("This code is not valid, or too many codes were tried: wait and try again."))
        else:
            _second_factor_login(request, device)
            kind = "recovery_code" if isinstance(device, RecoveryCodeDevice) else "totp"
            security_log.info("security: second factor verified user=%s device=%s", user.pk, kind)
            if isinstance(device, RecoveryCodeDevice):
                messages.warning(
                    request,
                    _("You used a recovery code; %(count)s remain.") % {"count": device.remaining},
                )
            return redirect(safe_next_url(request, _default_next(request)))
    return render(request, "security/otp_verify.html", {"form": form, "next": safe_next_url(request, "")})


@never_cache
@login_required
@require_POST
def recovery_codes_regenerate(request):
    if not is_verified(request.user):
        return redirect("security:otp_verify")
    return _show_codes(request, otp.recovery_codes_regenerate(user=request.user))


@never_cache
@login_required
@require_POST
def otp_disable(request):
    if not is_verified(request.user):
        return redirect("security:otp_verify")
    try:
        otp.second_factor_disable(user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        security_log.info("security: second factor disabled user=%s", request.user.pk)
        request.session[SESSION_ENROLLED] = False
        request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
        messages.success(request, _("Two-step verification is off."))
    return redirect("security:overview")


@never_cache
@login_required
def privacy_export(request):
    """The logged-in contact's personal data as a JSON download (GDPR articles 15 and 20)."""
    from tracker.customers.models import Contact

    from .privacy import contact_export

    contact = Contact.objects.filter(user=request.user).select_related("business", "user").first()
    if contact is None:
        raise Http404(_("No contact record is linked to this login."))
    response = JsonResponse(contact_export(contact=contact), json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
    response.no_store = True
    return response


@never_cache
@login_required
def session_list(request):
    """Where this account is signed in; the others can be ended from here."""
    rows = sessions.user_session_list(user=request.user, current_key=request.session.session_key)
    return render(request, "security/sessions.html", {"sessions": rows})


@never_cache
@login_required
@require_POST
def sessions_logout_others(request):
    ended = sessions.user_session_logout_others(user=request.user, current_key=request.session.session_key)
    security_log.info("security: other sessions ended user=%s count=%s", request.user.pk, ended)
    messages.success(request, _("You were signed out everywhere else."))
    return redirect("security:sessions")
