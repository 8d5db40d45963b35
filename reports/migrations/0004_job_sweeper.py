"""Jobs record when they were last handed to a worker, and the sweeper runs every five
minutes (django-celery-beat; editable in the admin): it re-queues jobs whose worker
vanished and fails those abandoned for good (`reports.jobs.sweep_jobs`)."""

import django.utils.timezone
from django.db import migrations, models

SCHEDULE_NAME = "后台任务巡检：重新排队或结束中断的任务"
SCHEDULE_TASK = "reports.tasks.sweep"


def install_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _created = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME, defaults={"task": SCHEDULE_TASK, "interval": every}
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("reports", "0003_pay_bands"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="queued_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="排队时间"),
        ),
        migrations.RunPython(install_schedule, remove_schedule),
    ]
