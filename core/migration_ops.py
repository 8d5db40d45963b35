"""Operations that project migrations share."""

from django.db import migrations


def move_content_types(old_label, new_label, model_names):
    """A RunPython operation for models that moved from app `old_label` to `new_label`
    keeping their tables: their content types follow them, and with the content types the
    permissions, group grants and admin log entries that point at them. On a new
    database there is nothing to move (content types are made after migrating)."""
    names = [name.lower() for name in model_names]

    def relabel(apps, schema_editor, source, target):
        content_type = apps.get_model("contenttypes", "ContentType")
        rows = content_type.objects.using(schema_editor.connection.alias)
        taken = set(rows.filter(app_label=target, model__in=names).values_list("model", flat=True))
        rows.filter(app_label=source, model__in=set(names) - taken).update(app_label=target)

    return migrations.RunPython(
        lambda apps, schema_editor: relabel(apps, schema_editor, old_label, new_label),
        lambda apps, schema_editor: relabel(apps, schema_editor, new_label, old_label),
    )


def crontab_task(name, task, description, *, minute, hour):
    """A RunPython operation putting `task` into django-celery-beat's schedule as the
    periodic task `name`, at `minute` past `hour` Beijing time (crontab fields, so "*"
    works), so that a fresh database has it; undone by removing it. An ordinary row of
    the admin's "Periodic tasks": it can be re-timed or switched off there."""

    def install(apps, schema_editor):
        crontab, _created = apps.get_model(
            "django_celery_beat", "CrontabSchedule"
        ).objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        apps.get_model("django_celery_beat", "PeriodicTask").objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "description": description}
        )

    def remove(apps, schema_editor):
        apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=name).delete()

    return migrations.RunPython(install, remove)
