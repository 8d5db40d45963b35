"""Leaf values move from a result to a sheet (`ResultSheet`) that result versions share:
an incremental recompute writes the leaves of the participants it recomputed only.
Every existing result gets a sheet of its own, with the result's id."""

import django.db.models.deletion
from django.db import migrations, models


def one_sheet_per_result(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scoring_resultsheet (id, participant_id)"
            " SELECT id, participant_id FROM scoring_result"
        )
        cursor.execute("UPDATE scoring_result SET sheet_id = id")
        cursor.execute("UPDATE scoring_leafresult SET sheet_id = result_id")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('scoring_resultsheet', 'id'),"
                " COALESCE(MAX(id), 0) + 1, false) FROM scoring_resultsheet"
            )


def one_result_per_sheet(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        # Back to one set of leaves per result: each result takes its sheet's leaves
        # (shared sheets are copied to every result that used them).
        cursor.execute(
            "INSERT INTO scoring_leafresult (sheet_id, result_id, leaf_id, self_value,"
            " target_value, org_value, org_overridden, basis)"
            " SELECT NULL, r.id, l.leaf_id, l.self_value, l.target_value, l.org_value,"
            " l.org_overridden, l.basis FROM scoring_leafresult l"
            " JOIN scoring_result r ON r.sheet_id = l.sheet_id"
        )
        cursor.execute("DELETE FROM scoring_leafresult WHERE sheet_id IS NOT NULL")


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0002_self_evaluation_due"),
        ("scoring", "0003_leaf_results_without_fk_checks"),
    ]

    operations = [
        migrations.CreateModel(
            name="ResultSheet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "participant",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="assessment.participant",
                    ),
                ),
            ],
            options={"verbose_name": "得分明细", "verbose_name_plural": "得分明细"},
        ),
        migrations.AddField(
            model_name="result",
            name="sheet",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="results",
                to="scoring.resultsheet",
            ),
        ),
        migrations.RemoveConstraint(model_name="leafresult", name="leaf_result_unique"),
        migrations.AlterField(
            model_name="leafresult",
            name="result",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="leaves",
                to="scoring.result",
            ),
        ),
        migrations.AddField(
            model_name="leafresult",
            name="sheet",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="leaves",
                to="scoring.resultsheet",
            ),
        ),
        migrations.RunPython(one_sheet_per_result, one_result_per_sheet),
        migrations.RemoveField(model_name="leafresult", name="result"),
        migrations.AlterField(
            model_name="result",
            name="sheet",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="results",
                to="scoring.resultsheet",
            ),
        ),
        migrations.AlterField(
            model_name="leafresult",
            name="sheet",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="leaves",
                to="scoring.resultsheet",
            ),
        ),
        migrations.AlterModelOptions(
            name="leafresult",
            options={
                "ordering": ["sheet", "leaf__sort_key"],
                "verbose_name": "指标得分",
                "verbose_name_plural": "指标得分",
            },
        ),
        migrations.AddConstraint(
            model_name="leafresult",
            constraint=models.UniqueConstraint(fields=("sheet", "leaf"), name="leaf_result_unique"),
        ),
    ]
