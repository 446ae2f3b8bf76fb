"""At login, remember whether the account has a second factor, so the gate needs no query per request."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SESSION_ENROLLED
from .otp import has_second_factor


@receiver(user_logged_in, dispatch_uid="security_remember_second_factor")
def remember_second_factor(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ENROLLED] = has_second_factor(user=user)
