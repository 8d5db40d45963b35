"""The nightly housekeeping (`org.tasks.housekeeping`: expired sessions, old login
records) in django-celery-beat's schedule, so that a fresh database has it: every day at
03:30 Beijing time, after the backup. An ordinary row of the admin's "Periodic tasks"."""

from django.db import migrations

SCHEDULE_NAME = "账号维护：每日清理过期会话和旧登录记录"
SCHEDULE_TASK = "org.tasks.housekeeping"


def install_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="3",
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
            "description": "删除已过期的登录会话，以及 90 天以前的登录记录。",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("org", "0005_reminder_schedule"),
    ]

    operations = [migrations.RunPython(install_schedule, remove_schedule)]
