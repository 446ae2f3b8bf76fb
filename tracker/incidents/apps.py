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

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Incident
        from .receivers import incident_changed

        post_save.connect(incident_changed, sender=Incident, dispatch_uid="incident-saved")
        post_delete.connect(incident_changed, sender=Incident, dispatch_uid="incident-deleted")
        for through in (Incident.services.through, Incident.regions.through):
            m2m_changed.connect(incident_changed, sender=through, dispatch_uid=f"incident-places-{through.__name__}")
