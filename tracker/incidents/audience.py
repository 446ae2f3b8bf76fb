"""Contacts that apps built on the core add to an incident's audience.

The core never imports the apps. An app registers, in its AppConfig.ready(), a
function that takes an incident and returns a queryset of contact ids (a
``values("contact_id")`` or ``values("pk")`` queryset, never evaluated).
incident_audience() ORs each one in as a subquery: the audience stays one SQL
query and every contact appears in it once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from .models import Incident

AudienceExtension = Callable[["Incident"], "QuerySet"]

_extensions: list[AudienceExtension] = []


def register_audience_extension(extension: AudienceExtension) -> AudienceExtension:
    """Add contacts to every incident's audience; registering twice keeps one."""
    if extension not in _extensions:
        _extensions.append(extension)
    return extension


def audience_extensions() -> tuple[AudienceExtension, ...]:
    return tuple(_extensions)
