from django.db import migrations

from core.migration_ops import move_content_types


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("scoring", "0001_layers"),
    ]

    operations = [
        move_content_types("assessment", "scoring", ["Appeal", "HistoricalAppeal", "AppealChange", "HistoricalAppealChange"]),
    ]
