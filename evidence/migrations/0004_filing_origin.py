"""A reform-risk filing records where it came from: filed in advance in the product, or
made by an Excel import for the exemptions the workbook records (the import's filings
are found by their fixed title and decision note)."""

from django.db import migrations, models

ORIGIN = models.CharField(
    choices=[("filed", "事前备案"), ("imported", "导入")],
    default="filed",
    max_length=16,
    verbose_name="来源",
)


def mark_imported(apps, schema_editor):
    ReformFiling = apps.get_model("evidence", "ReformFiling")
    ReformFiling.objects.filter(title="Excel 导入的免责事项", decision_reason="Excel 导入").update(
        origin="imported"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0003_spot_checks"),
    ]

    operations = [
        migrations.AddField(model_name="historicalreformfiling", name="origin", field=ORIGIN),
        migrations.AddField(model_name="reformfiling", name="origin", field=ORIGIN),
        migrations.RunPython(mark_imported, migrations.RunPython.noop),
    ]
