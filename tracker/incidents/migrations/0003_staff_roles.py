from django.db import migrations

from tracker.customers.roles import AGENT, MANAGER, grant

MODELS = ["incident", "incidentupdate", "correction", "restorationsnapshot", "statussubscription"]


def create_roles(apps, schema_editor):
    # Agents declare, update and correct incidents; history (updates, corrections) is never edited.
    grant(
        apps,
        schema_editor,
        group=AGENT,
        app_label="incidents",
        codenames=[f"view_{m}" for m in MODELS] + ["add_incident", "change_incident", "add_incidentupdate"],
    )
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="incidents",
        codenames=[f"view_{m}" for m in MODELS]
        + ["add_incident", "change_incident", "add_incidentupdate", "delete_statussubscription"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_updates_corrections_restoration_subscriptions"),
        ("customers", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
