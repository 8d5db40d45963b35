"""Template helpers for Bootstrap forms and role labels."""

from decimal import Decimal

from django import forms, template

from core.numbers import money as money_text
from core.numbers import plain_number

register = template.Library()


@register.filter
def bs(field):
    """Render a bound field's widget with Bootstrap classes (and is-invalid on errors)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def is_checkbox(field):
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def minutes(delta):
    """A timedelta as whole minutes, for messages such as the lockout notice."""
    return int(delta.total_seconds() // 60) if delta else 0


@register.filter
def plain(value):
    """A number as people write it: 6 not 6.00, 2.5 not 2.50; blank for None."""
    if value is None or value == "":
        return ""
    return plain_number(Decimal(value))


@register.filter
def money(value):
    """Money as people read it: 66,000.00 元; blank for None."""
    return money_text(value)


@register.filter
def error_summary(form):
    """The form's errors for the summary at its top, each message once: [(field id or
    "", label, message)] — non-field errors first, then by field in the form's order;
    a field's line links to the field."""
    seen, lines = set(), []
    for message in form.non_field_errors():
        if message not in seen:
            seen.add(message)
            lines.append(("", "", message))
    for field in form:
        for message in field.errors:
            if (field.name, message) not in seen and message not in seen:
                seen.add((field.name, message))
                lines.append((field.id_for_label or "", field.label, message))
    return lines
