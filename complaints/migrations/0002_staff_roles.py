from django.db import migrations

from tracker.customers.roles import AGENT, MANAGER, grant

AGENT_PERMISSIONS = [
    "view_complaint",
    "change_complaint",
    "triage_complaint",
    "view_complaintevent",
    "view_complaintattachment",
    "view_complaintspike",
    "change_complaintspike",
]
# Managers read everything and may triage too; nobody can delete complaints or their history.
MANAGER_PERMISSIONS = AGENT_PERMISSIONS


def give_roles(apps, schema_editor):
    grant(apps, schema_editor, group=AGENT, app_label="complaints", codenames=AGENT_PERMISSIONS)
    grant(apps, schema_editor, group=MANAGER, app_label="complaints", codenames=MANAGER_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_complaints_initial"),
        ("customers", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(give_roles, migrations.RunPython.noop)]
