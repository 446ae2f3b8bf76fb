from django.db import migrations

from tracker.customers.roles import MANAGER, grant


def grant_manager(apps, schema_editor):
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="reports",
        codenames=["view_reports", "export_data", "view_exportlog", "view_exportjob"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_export_job_and_log"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_manager, migrations.RunPython.noop)]
