from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from tracker.incidents.audience import register_audience_extension
        from tracker.incidents.signals import incident_scope_changed
        from tracker.notifications.kinds import register
        from tracker.security.admin_site import register_index_notices

        from . import linking, privacy
        from .kinds import complaint_update

        register(complaint_update)
        incident_scope_changed.connect(linking.on_incident_scope_changed, dispatch_uid="complaints.link_proposals")
        register_audience_extension(linking.linked_complaint_authors)
        register_index_notices(linking.admin_index_notices)
        privacy.register_privacy()
