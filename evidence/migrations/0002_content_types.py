from django.db import migrations

from core.migration_ops import move_content_types


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("evidence", "0001_layers"),
    ]

    operations = [
        move_content_types("assessment", "evidence", ["Attachment", "HistoricalAttachment", "Event", "HistoricalEvent", "ReformFiling", "HistoricalReformFiling", "KeyTask", "HistoricalKeyTask", "KeyTaskAssignment", "HistoricalKeyTaskAssignment", "ProgressReport", "HistoricalProgressReport", "MetricValue", "HistoricalMetricValue", "DiaryEntry", "HistoricalDiaryEntry", "GridEvent", "HistoricalGridEvent", "RectificationItem", "HistoricalRectificationItem"]),
    ]
