from django.db import migrations

from tracker.customers.roles import AGENT, MANAGER, grant


def create_roles(apps, schema_editor):
    # Agents see what was sent and retry failures; managers also manage webhook endpoints.
    grant(
        apps,
        schema_editor,
        group=AGENT,
        app_label="notifications",
        codenames=[
            "view_notificationjob",
            "change_notificationjob",
            "view_delivery",
            "change_delivery",
            "view_webhookendpoint",
        ],
    )
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="notifications",
        codenames=[
            "view_notificationjob",
            "change_notificationjob",
            "view_delivery",
            "change_delivery",
            "view_webhookendpoint",
            "add_webhookendpoint",
            "change_webhookendpoint",
            "delete_webhookendpoint",
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_webhook_endpoint_maybe_sent"),
        ("customers", "0002_staff_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
