"""The default admin site, with a verified second factor required for staff."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.shortcuts import redirect
from django.urls import reverse

from .middleware import is_verified
from .otp import has_second_factor


class SecureAdminSite(AdminSite):
    """Like django_otp.admin.OTPAdminSite, but with a separate verification step.

    The password login stays Django's (so django-axes and the admission limit apply); a staff
    member who passed it is sent to the one-time code step, or to enrolment the first time.
    """

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        return not settings.ADMIN_REQUIRE_OTP or is_verified(request.user)

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
