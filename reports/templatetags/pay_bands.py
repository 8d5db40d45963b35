from django import template

from reports.paybands.selectors import PUBLISHED_STATUSES
from scoring.access import reads_whole_county

register = template.Library()


@register.simple_tag(takes_context=True)
def shows_pay_bands(context, cycle):
    """`{% shows_pay_bands cycle as shown %}`: the cycle has a published 分档定薪表 and
    the viewer reads it (the county's own staff, `reports.paybands.views`)."""
    user = context["request"].user
    return cycle.status in PUBLISHED_STATUSES and reads_whole_county(user, cycle)
