"""The nightly backup (`reports.tasks.backup`, `reports.backups`) in django-celery-beat's
schedule, so that a fresh database has it: every day at 02:30 Beijing time, when nobody
works. An ordinary row of the admin's "Periodic tasks": the time can be changed or the
backup switched off there."""

from django.db import migrations

SCHEDULE_NAME = "数据备份：每日备份数据库和上传文件"
SCHEDULE_TASK = "reports.tasks.backup"


def install_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="30",
        hour="2",
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
            "description": "每天把数据库和上传文件备份到服务器的备份目录（BACKUP_DIR），保留最近 BACKUP_KEEP 份。",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("reports", "0006_job_recompute_slips_backup"),
    ]

    operations = [migrations.RunPython(install_schedule, remove_schedule)]
