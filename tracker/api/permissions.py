"""Permission classes: one per role boundary, combined per action in the views."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .roles import CONTACT, role_of


class IsStaffMember(BasePermission):
    """Agents and managers."""

    message = _("This is for staff only.")

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) in ("agent", "manager")


class IsManager(BasePermission):
    message = _("This is for managers only.")

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) == "manager"


class IsBusinessContact(BasePermission):
    """A logged-in contact of a business (a customer)."""

    message = _("This is for contacts of a business.")

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) == CONTACT


class IsContactOrStaff(BasePermission):
    message = _("Log in as a contact of a business or as staff.")

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) in (CONTACT, "agent", "manager")


class ReadOnlyOrStaff(BasePermission):
    """Anyone reads; only staff write."""

    message = _("This is for staff only.")

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return role_of(request.user) in ("agent", "manager")


class AnyoneAllowed(BasePermission):
    """Public endpoints; stated explicitly so that nothing is public by accident."""

    def has_permission(self, request, view) -> bool:
        return True
