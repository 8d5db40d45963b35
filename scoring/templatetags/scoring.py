from django import template

from scoring.access import cycle_access
from scoring.grid import html
from scoring.results import leaf_table

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


@register.simple_tag
def grid_row(row):
    """`{% grid_row row %}`: one participant's row of the score grid (`scoring.grid.html`)."""
    return html.grid_row(row)


@register.simple_tag
def grid_cell(row, cell):
    """`{% grid_cell row cell %}`: one score-grid cell (`scoring.grid.html`)."""
    return html.grid_cell(row, cell)


@register.simple_tag
def grid_subtotal(row, oob=False):
    """`{% grid_subtotal row oob=True %}`: a grid row's subtotal."""
    return html.subtotal(row, oob)


@register.simple_tag
def grid_row_done(row, oob=False):
    """`{% grid_row_done row oob=True %}`: a grid row's completeness badge."""
    return html.row_done(row, oob)


@register.simple_tag
def incident_count(participant, count, oob=False):
    """`{% incident_count participant count oob=True %}`: the count on a row's incidents
    button."""
    return html.incident_count(participant.pk, count, oob)


@register.simple_tag
def leaf_rows(block):
    """`{% leaf_rows d %}`: the participant page's rows of one dimension's leaves
    (`scoring.results.leaf_table`)."""
    return leaf_table.leaf_rows(block)
