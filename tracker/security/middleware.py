"""Security middleware: second factor gate, login admission refusals, response headers."""

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from . import sessions
from .admission import LoginAdmissionDenied
from .otp import has_second_factor

SESSION_ENROLLED = "security_otp_enrolled"
SESSION_LAST_SEEN = "security_last_seen"
SESSION_ROW_TOUCHED = "security_session_row_touched"
security_log = logging.getLogger("tracker.security")


def second_factor_required(request) -> bool:
    """Staff always (unless ADMIN_REQUIRE_OTP is off); anyone else once they enabled a second factor."""
    user = request.user
    if not user.is_authenticated:
        return False
    if user.is_staff and settings.ADMIN_REQUIRE_OTP:
        return True
    return bool(request.session.get(SESSION_ENROLLED))


def is_verified(user) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)())


class SessionIdleTimeoutMiddleware:
    """Logs out a session left idle longer than SESSION_IDLE_TIMEOUT_MINUTES.

    The last activity is written to the session at most once a minute, so an active user
    costs one session write per minute, not one per request; the sessions page's row
    (tracker/security/sessions.py) is touched at most once every few minutes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN)
            if isinstance(last_seen, int) and now - last_seen > settings.SESSION_IDLE_TIMEOUT_MINUTES * 60:
                security_log.info("security: idle session ended user=%s", user.pk)
                logout(request)
            else:
                if not isinstance(last_seen, int) or now - last_seen >= 60:
                    request.session[SESSION_LAST_SEEN] = now
                touched = request.session.get(SESSION_ROW_TOUCHED)
                if not isinstance(touched, int) or now - touched >= sessions.TOUCH_EVERY_SECONDS:
                    sessions.user_session_touch(request=request)
                    request.session[SESSION_ROW_TOUCHED] = now
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        key_before = request.session.session_key if signed_in else None
        response = self.get_response(request)
        # Verifying the second factor gives the session a new key: its row follows.
        key_after = request.session.session_key if key_before else None
        if key_after and key_after != key_before and request.user.is_authenticated:
            sessions.user_session_rekey(old_key=key_before, new_key=key_after)
        return response


class SecondFactorMiddleware:
    """A password alone opens nothing but the enrolment and verification pages.

    Placed after django_otp's OTPMiddleware. An unverified session is sent to the
    verification step (or to enrolment when it has no device yet); API calls get 403.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        exempt = any(path.startswith(prefix) for prefix in settings.SECURITY_OTP_EXEMPT_PATHS)
        if not exempt and second_factor_required(request) and not is_verified(request.user):
            if path.startswith("/api/"):
                return JsonResponse({"detail": _("A second factor is required.")}, status=403)
            step = "security:otp_verify" if has_second_factor(user=request.user) else "security:otp_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class LoginAdmissionMiddleware:
    """Turns a refused password check (too many, too fast) into a translated 429 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LoginAdmissionDenied):
            return None
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"detail": _("Too many login attempts. Try again shortly.")}, status=429)
        else:
            response = render(
                request, "security/too_many_attempts.html", {"retry_after": exception.retry_after}, status=429
            )
        response["Retry-After"] = str(exception.retry_after)
        return response


class SecurityHeadersMiddleware:
    """Security headers, no-store, and security event logs, in one place.

    - Permissions-Policy and Cross-Origin-Resource-Policy on every response;
    - no-store on every response to a logged-in user and on any response a view flags as an
      export (`response.no_store = True`, or Django's `never_cache`);
    - Clear-Site-Data on log out; TRACE and CONNECT refused; plain-HTTP API calls refused (403)
      where the rest of the site redirects to HTTPS;
    - every refused request (403, 429) logged with the user id, never personal data.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in {"TRACE", "CONNECT"}:
            response = HttpResponseNotAllowed(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
        elif settings.SECURE_SSL_REDIRECT and request.path_info.startswith("/api/") and not request.is_secure():
            response = JsonResponse({"detail": _("HTTPS is required.")}, status=403)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.SECURITY_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        if getattr(response, "no_store", False) or authenticated:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, max-age=0, private"
        if request.method == "POST" and request.path_info in settings.SECURITY_LOGOUT_PATHS:
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
        if response.status_code in (403, 429):
            security_log.warning(
                "security: refused %s %s status=%s user=%s",
                request.method,
                request.path_info[:200],
                response.status_code,
                user.pk if authenticated else "anonymous",
            )
        return response
