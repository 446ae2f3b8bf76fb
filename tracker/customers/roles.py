"""Staff roles as Django groups. Apps extend them from their own migrations.

Use grant() inside a RunPython migration: it creates the permissions that
Django would only create after migrating, then adds them to the group.
"""

AGENT = "agent"
MANAGER = "manager"


def require_permission(user, permission: str) -> None:
    """Services call it first: people act within their role. The system itself (user None: beat tasks,
    spike detection, seed_demo) is trusted."""
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(_("Your role does not allow this action."))


def grant(apps, schema_editor, *, group: str, app_label: str, codenames: list[str]) -> None:
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    app_config = global_apps.get_app_config(app_label)
    create_contenttypes(app_config, verbosity=0, apps=apps)
    create_permissions(app_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    role, _ = Group.objects.get_or_create(name=group)
    role.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
