"""Who is asking: anonymous, a contact of a business, an agent or a manager.

Staff roles are the groups of tracker.customers.roles; a superuser counts as a
manager. The answer is computed once per request and kept on the user object.
"""

from __future__ import annotations

from tracker.customers.models import Contact
from tracker.customers.roles import AGENT, MANAGER

ANONYMOUS = "anonymous"
CONTACT = "contact"
AGENT_ROLE = "agent"
MANAGER_ROLE = "manager"
NONE = "none"  # logged in, but neither staff nor a business contact


def role_of(user) -> str:
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_api_role", None)
    if cached is not None:
        return cached
    role = NONE
    if user.is_staff:
        if user.is_superuser:
            role = MANAGER_ROLE
        else:
            names = set(user.groups.filter(name__in=[AGENT, MANAGER]).values_list("name", flat=True))
            if MANAGER in names:
                role = MANAGER_ROLE
            elif AGENT in names:
                role = AGENT_ROLE
    if role == NONE:
        contact = contact_of(user)
        if contact is not None and contact.business_id is not None:
            role = CONTACT
    user._api_role = role
    return role


def contact_of(user) -> Contact | None:
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.contact
    except Contact.DoesNotExist:
        return None


def is_staff_member(user) -> bool:
    return role_of(user) in (AGENT_ROLE, MANAGER_ROLE)


def is_manager(user) -> bool:
    return role_of(user) == MANAGER_ROLE
