"""Drop the single-column indexes of foreign keys that lead a (column, -id) index: every insert paid for them.

Only the indexes are dropped. A plain AlterField would also drop and re-add each foreign key constraint,
which checks every row of a large table again under lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [
    ("complaints_complaint", "assignee_id", "complaints_complaint_assignee_id_8087f657"),
    ("complaints_complaint", "business_id", "complaints_complaint_business_id_791085bc"),
    ("complaints_complaint", "incident_id", "complaints_complaint_incident_id_f4cf7816"),
    ("complaints_complaint", "region_id", "complaints_complaint_region_id_2edd6d1c"),
    ("complaints_complaint", "service_id", "complaints_complaint_service_id_ddecfabc"),
    ("complaints_complaintevent", "complaint_id", "complaints_complaintevent_complaint_id_a1a34219"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_breached_partial_indexes"),
        ("customers", "0002_staff_roles"),
        ("incidents", "0003_staff_roles"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="complaint",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_complaints",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="assignee",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="business",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="complaints",
                        to="customers.business",
                        verbose_name="business",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="incident",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="complaints",
                        to="incidents.incident",
                        verbose_name="incident",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="region",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="complaints",
                        to="customers.region",
                        verbose_name="region",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaint",
                    name="service",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="complaints",
                        to="customers.service",
                        verbose_name="service",
                    ),
                ),
                migrations.AlterField(
                    model_name="complaintevent",
                    name="complaint",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="complaints.complaint",
                        verbose_name="complaint",
                    ),
                ),
            ],
        ),
    ]
