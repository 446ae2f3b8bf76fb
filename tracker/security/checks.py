"""Deploy checks for what Django's own --deploy checks do not see."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def second_factor_required(app_configs, **kwargs):
    errors = []
    if not getattr(settings, "ADMIN_REQUIRE_OTP", True):
        errors.append(
            Warning(
                "ADMIN_REQUIRE_OTP is off: staff reach the admin with a password alone.",
                hint="Unset ADMIN_REQUIRE_OTP (default true) in production.",
                id="security.W001",
            )
        )
    if "axes.backends.AxesStandaloneBackend" not in settings.AUTHENTICATION_BACKENDS[:1]:
        errors.append(
            Warning(
                "django-axes is not the first authentication backend: login attempts are not limited.",
                id="security.W002",
            )
        )
    return errors
