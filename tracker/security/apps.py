from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class SecureAdminConfig(admin_apps.AdminConfig):
    default = False
    """django.contrib.admin whose default site requires a verified second factor for staff."""

    default_site = "tracker.security.admin_site.SecureAdminSite"


class SecurityConfig(AppConfig):
    default = True
    name = "tracker.security"
    label = "security"
    verbose_name = _("Security and privacy")

    def ready(self) -> None:
        from . import checks, signals, user_cache  # noqa: F401  (registers checks and signal receivers)
        from .privacy import register_core
        from .sessions import register_privacy

        register_core()
        register_privacy()
