"""At login, remember whether the account has a second factor, so the gate needs no query per request;
record the session for the sessions page, and forget it at logout."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import sessions
from .middleware import SESSION_ENROLLED, SESSION_ROW_TOUCHED
from .otp import has_second_factor


@receiver(user_logged_in, dispatch_uid="security_remember_second_factor")
def remember_second_factor(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ENROLLED] = has_second_factor(user=user)


@receiver(user_logged_in, dispatch_uid="security_record_session")
def record_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.user_session_record(request=request, user=user)
        request.session[SESSION_ROW_TOUCHED] = int(time.time())


@receiver(user_logged_out, dispatch_uid="security_forget_session")
def forget_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.user_session_forget(session_key=request.session.session_key)
