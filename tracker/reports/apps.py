from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "tracker.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from . import admin_actions, privacy

        admin_actions.install()
        privacy.register_privacy()
