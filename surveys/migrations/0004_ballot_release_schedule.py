"""The hourly ballot release (`surveys.tasks.release_ballots`) in django-celery-beat's
schedule, so that a fresh database has it: the finished days' pooled ballots move to the
ballot table a few minutes past each hour. An ordinary row of the admin's "Periodic
tasks"; switched off, ballots stay pooled (still counted) until their cycle's 公示."""

from django.db import migrations

SCHEDULE_NAME = "民主评议：每小时将前一日的网上评议票打乱后入库"
SCHEDULE_TASK = "surveys.tasks.release_ballots"


def install_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": SCHEDULE_TASK,
            "crontab": crontab,
            "description": "网上评议票先存入当日票池，日终后整日一批按内容排序转入评议结果表，"
            "使评议票无法通过数据库记录与评议码对应（匿名）。",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("surveys", "0003_ballot_pool"),
    ]

    operations = [migrations.RunPython(install_schedule, remove_schedule)]
