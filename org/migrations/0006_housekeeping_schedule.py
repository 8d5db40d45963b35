"""The nightly housekeeping (`org.tasks.housekeeping`: expired sessions, old login
records) in django-celery-beat's schedule: every day at 03:30 Beijing time, after the
backup."""

from django.db import migrations

from core.migration_ops import crontab_task


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("org", "0005_reminder_schedule"),
    ]

    operations = [
        crontab_task(
            "账号维护：每日清理过期会话和旧登录记录",
            "org.tasks.housekeeping",
            "删除已过期的登录会话，以及 90 天以前的登录记录。",
            minute="30",
            hour="3",
        )
    ]
