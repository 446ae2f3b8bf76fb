"""Staff roles as Django groups. Apps extend them from their own migrations.

Use grant() inside a RunPython migration: it creates the permissions that
Django would only create after migrating, then adds them to the group.
"""

AGENT = "agent"
MANAGER = "manager"


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
