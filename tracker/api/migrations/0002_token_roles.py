from django.db import migrations

from tracker.customers.roles import MANAGER, grant


def create_roles(apps, schema_editor):
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="api",
        codenames=[f"{action}_apitoken" for action in ("view", "add", "change", "delete")],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_api_token"),
        ("customers", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
