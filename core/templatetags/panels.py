"""`{% panels "slot" %}`: the templates other apps registered for a slot (`core.panels`),
each rendered with the page's own context, as an include would."""

from django import template
from django.utils.safestring import mark_safe

from core.panels import panel_templates

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot):
    engine = context.template.engine
    parts = []
    for name in panel_templates(slot):
        with context.push():
            parts.append(engine.get_template(name).render(context))
    return mark_safe("".join(parts))
