"""The participant's events with their effect on the score, for the results page."""

from django import template

from evidence.events.selectors import participant_events as select_participant_events

register = template.Library()


@register.simple_tag(takes_context=True)
def participant_events(context, participant):
    """`{% participant_events participant as pe %}`: what the viewer may see of the
    participant's events, each with its effect (`selectors.participant_events`)."""
    return select_participant_events(context["request"].user, participant)
