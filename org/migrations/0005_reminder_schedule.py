"""The daily 通知 reminder job (`org.notifications.reminders`) in django-celery-beat's schedule,
so that a fresh database has it: every day at 08:00 Beijing time. It is an ordinary row
of the admin's "Periodic tasks": the time can be changed or the job switched off there."""

from django.db import migrations

TASK_NAME = "通知：每日提醒"


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="8",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": "org.notifications.tasks.send_reminders",
            "crontab": schedule,
            "description": "每天检查一次到期提醒（如重点工作逾期列入约谈）并发送通知；同一提醒只发一次。",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0004_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
