from django import template

from scoring.access import cycle_access

register = template.Library()


@register.simple_tag(takes_context=True)
def scoring_access(context, cycle):
    """`{% scoring_access cycle as access %}`: what the viewer may do (scoring.access)."""
    return cycle_access(context["request"].user, cycle)
