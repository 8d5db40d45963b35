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
