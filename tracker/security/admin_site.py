"""The default admin site, with a verified second factor required for staff."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.shortcuts import redirect
from django.urls import reverse

from .middleware import is_verified
from .otp import has_second_factor


@dataclass(frozen=True)
class AdminNotice:
    """A banner of the admin index: what needs attention and the page where staff deal with it."""

    text: str
    url: str
    link_text: str


# Apps register, in their AppConfig.ready(), functions of the request that return the notices
# the user should see; each is expected to run at most one cheap query.
_index_notice_sources: list[Callable] = []


def register_index_notices(source: Callable) -> Callable:
    if source not in _index_notice_sources:
        _index_notice_sources.append(source)
    return source


class SecureAdminSite(AdminSite):
    """Like django_otp.admin.OTPAdminSite, but with a separate verification step.

    The password login stays Django's (so django-axes and the admission limit apply); a staff
    member who passed it is sent to the one-time code step, or to enrolment the first time.
    """

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_REQUIRE_OTP or is_verified(request.user)

    def index(self, request, extra_context=None):
        notices = [notice for source in _index_notice_sources for notice in source(request)]
        return super().index(request, {"index_notices": notices, **(extra_context or {})})

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and settings.ADMIN_REQUIRE_OTP
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not is_verified(user)
        ):
            step = "security:otp_verify" if has_second_factor(user=user) else "security:otp_setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': reverse('admin:index', current_app=self.name)})}")
        return super().login(request, extra_context)
