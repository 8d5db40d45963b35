"""Small helpers for browser views."""


def apply_validation_error(form, exc, renamed=None):
    """Show a service's ValidationError on the form: by field where the form has it.

    `renamed` maps a service's field name to the form's, where they differ.
    """
    renamed = renamed or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = renamed.get(field, field)
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
