"""Signals the incidents app sends to the other apps (the core never imports them)."""

from django.dispatch import Signal

# Sent after commit when an incident is declared or newly covers services or regions.
# Keyword arguments: incident_id, service_ids, region_ids (the added ones; all of them on declaration), reason.
incident_scope_changed = Signal()
