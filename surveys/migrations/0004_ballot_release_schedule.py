"""The hourly ballot release (`surveys.tasks.release_ballots`) in django-celery-beat's
schedule: the finished days' pooled ballots move to the ballot table a quarter past each
hour. Switched off, ballots stay pooled (still counted) until their cycle's 公示."""

from django.db import migrations

from core.migration_ops import crontab_task


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("surveys", "0003_ballot_pool"),
    ]

    operations = [
        crontab_task(
            "民主评议：每小时将前一日的网上评议票打乱后入库",
            "surveys.tasks.release_ballots",
            "网上评议票先存入当日票池，日终后整日一批按内容排序转入评议结果表，"
            "使评议票无法通过数据库记录与评议码对应（匿名）。",
            minute="15",
            hour="*",
        )
    ]
