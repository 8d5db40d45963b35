"""Template helpers for Bootstrap forms, numbers, and the pager of every list."""

from decimal import Decimal

from django import forms, template
from django.utils.html import format_html_join

from core.numbers import money as money_text
from core.numbers import plain_number
from core.pagination import PAGE_PARAM

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


@register.inclusion_tag("includes/pagination.html", takes_context=True)
def pager(context, page_obj):
    """The pager under a list (core.pagination): first, previous, the pages around this
    one, next, last, and the page sizes to choose from; every link keeps the query."""
    paginator = page_obj.paginator
    sizes = getattr(paginator, "sizes", ())
    return {
        "request": context["request"],
        "page_obj": page_obj,
        "pages": list(paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)),
        "ellipsis": paginator.ELLIPSIS,
        "sizes": sizes if paginator.count > min(sizes, default=0) else (),
    }


@register.simple_tag(takes_context=True)
def hidden_params(context, *keep_out):
    """Hidden inputs for the query's parameters a GET form does not have itself (sort,
    page size…), so filtering keeps them; the page number is never kept (a new filter
    starts on page 1). `keep_out`: field names, or forms whose fields are left out."""
    names = {PAGE_PARAM}
    for item in keep_out:
        names.update(item.fields if isinstance(item, forms.BaseForm) else [item])
    params = context["request"].GET
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        ((name, value) for name in params if name not in names for value in params.getlist(name)),
    )
