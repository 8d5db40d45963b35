from django import template

from scoring.access import cycle_access

register = template.Library()


@register.simple_tag(takes_context=True)
def scoring_access(context, cycle):
    """`{% scoring_access cycle as access %}`: what the viewer may do (scoring.access).
    Worked out once per request and cycle: each area's part of the cycle page asks."""
    request = context["request"]
    cache = request.__dict__.setdefault("_scoring_access", {})
    if cycle.pk not in cache:
        cache[cycle.pk] = cycle_access(request.user, cycle)
    return cache[cycle.pk]
