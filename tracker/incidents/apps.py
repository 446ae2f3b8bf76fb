from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "tracker.incidents"
    label = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        from tracker.notifications.kinds import register

        from .notifications import IncidentCorrectionKind, IncidentUpdateKind

        register(IncidentUpdateKind())
        register(IncidentCorrectionKind())
