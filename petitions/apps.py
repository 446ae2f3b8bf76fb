from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = _("Petitions")

    def ready(self) -> None:
        from tracker.notifications.kinds import register

        from . import privacy
        from .kinds import CompensationOffered

        register(CompensationOffered())
        privacy.register_privacy()
