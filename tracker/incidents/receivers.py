"""Any write to an incident or its places makes the status pages and complaint matching stale.

Services already invalidate after commit; these receivers also catch writes that bypass them (admin
inlines, data fixes, spike detection) and invalidate twice: at once, and after commit, so a reader that
rebuilt from the not yet committed state in between is corrected.
"""

from django.db import transaction

from .cache import status_cache_invalidate


def incident_changed(sender, **kwargs) -> None:
    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return  # m2m_changed: only once the rows are written
    status_cache_invalidate()
    transaction.on_commit(status_cache_invalidate)
