from django.db import migrations

from tracker.customers.roles import AGENT, MANAGER, grant

MODELS = ["service", "region", "business", "contact", "subscription", "voiceline"]


def create_roles(apps, schema_editor):
    grant(apps, schema_editor, group=AGENT, app_label="customers", codenames=[f"view_{m}" for m in MODELS])
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="customers",
        codenames=[f"{action}_{m}" for m in MODELS for action in ("view", "add", "change", "delete")],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
