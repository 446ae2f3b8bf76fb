"""Password authentication behind the admission limit."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import user_cache
from .admission import password_check_admitted
from .net import client_ip


class AdmissionModelBackend(ModelBackend):
    """ModelBackend that admits a password check only within the limits, and is the last word on passwords.

    A wrong password raises PermissionDenied, which ends Django's walk through the backends: a later
    backend (ModelBackend, kept for sessions opened with it) never hashes the same password again.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password is None:
            return None
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None:
            # Internal callers (management commands, shell) are not exposed to the network.
            user = super().authenticate(request, username=username, password=password, **kwargs)
        else:
            with password_check_admitted(ip=client_ip(request), username=str(username or "")):
                user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            raise PermissionDenied
        return user

    def get_user(self, user_id):
        # The contact and its business come with the user: customer pages read them on every request.
        user = user_cache.load(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
