from django.db import migrations

from tracker.customers.roles import AGENT, MANAGER, grant

MODELS = ["petition", "petitionthreshold", "signature", "signatureinvalidation", "compensationrule",
          "compensationdecision"]  # fmt: skip


def create_roles(apps, schema_editor):
    # Agents moderate petitions and fight abuse; they see compensation but do not decide it.
    grant(
        apps,
        schema_editor,
        group=AGENT,
        app_label="petitions",
        codenames=[f"view_{m}" for m in MODELS]
        + ["add_petition", "change_petition", "add_petitionthreshold", "change_petitionthreshold",
           "delete_petitionthreshold", "moderate_petition", "invalidate_signature"],  # fmt: skip
    )
    # Managers do everything agents do, set the rules, answer, offer and approve compensation.
    grant(
        apps,
        schema_editor,
        group=MANAGER,
        app_label="petitions",
        codenames=[f"{action}_{m}" for m in MODELS for action in ("view", "add", "change", "delete")]
        + ["moderate_petition", "answer_petition", "invalidate_signature", "approve_compensationdecision"],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("petitions", "0001_petitions_signatures_compensation"),
        ("customers", "0002_staff_roles"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
