"""Reads of events: what each event of a participant does to the score (SPEC §3.1
deduction leaves and type caps, §3.3 bonus and veto), and the counts of a cycle's list.

The effect follows the engine's rules (`scoring.engine.rules`): only verified,
non-exempt events count; a type's cap limits its own total, and a deduction leaf stops
at 0 (扣完为止), both taken in date order, so the events past a limit are shown as not or
partly counted.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _

from core.numbers import plain_number
from evidence.models import Event, EventStatus

ZERO = Decimal(0)


@dataclass(frozen=True)
class EventEffect:
    event: Event
    # What the event moves the score by (negative deducts), after its type's cap.
    counted_points: Decimal
    counted: bool
    veto: bool
    explanation: str


@dataclass(frozen=True)
class ParticipantEvents:
    effects: tuple
    deducted: Decimal
    bonus: Decimal
    bonus_cap: Decimal
    vetoed: bool


def _effect(event, used, leaf_used):
    """The event's effect given how much of its type's cap, and of its deduction leaf's
    points (扣完为止), earlier events used."""
    kind = event.event_type
    if event.status == EventStatus.REPORTED:
        return EventEffect(event, ZERO, False, False, _("待核实，暂不计分"))
    if event.status == EventStatus.REJECTED:
        return EventEffect(event, ZERO, False, False, _("不予认定，不计分"))
    if event.exempt:
        return EventEffect(event, ZERO, False, False, _("免责：不扣分，不否决"))
    points, veto = kind.points, kind.is_veto
    if points < 0 and kind.leaf_id is None:
        return EventEffect(event, ZERO, veto, veto, _("未指定扣分指标，不扣分"))
    size = abs(points)
    room = size if kind.cap is None else max(abs(kind.cap) - used[kind.pk], ZERO)
    taken = min(size, room)
    used[kind.pk] += taken
    floored = False
    if points < 0:
        leaf_room = max(kind.leaf.points - leaf_used[kind.leaf_id], ZERO)
        floored = leaf_room < taken
        taken = min(taken, leaf_room)
        leaf_used[kind.leaf_id] += taken
    counted_points = taken if points > 0 else -taken
    if size and taken == ZERO:
        if floored:
            text = _("指标“%(leaf)s”已扣完（%(points)s 分），不再扣分")
        else:
            text = _("超出类型上限（%(cap)s 分），不计分")
        return EventEffect(event, ZERO, veto, veto, text % _limits(kind))
    if floored:
        text = _("部分计入：指标“%(leaf)s”扣完为止（%(points)s 分）") % _limits(kind)
    elif taken < size:
        text = _("部分计入：达到类型上限（%(cap)s 分）") % _limits(kind)
    elif veto:
        text = _("一票否决")
    else:
        text = _("计入")
    return EventEffect(event, counted_points, True, veto, text)


def _limits(kind):
    return {
        "cap": plain_number(abs(kind.cap)) if kind.cap is not None else "",
        "leaf": kind.leaf.name if kind.leaf_id else "",
        "points": plain_number(kind.leaf.points) if kind.leaf_id else "",
    }


def participant_events(user, participant):
    """The participant's events the user reaches, oldest first, each with its effect."""
    events = list(
        Event.objects.for_user(user)
        .filter(participant=participant)
        .select_related("event_type__leaf", "reported_by", "verified_by", "filing")
        .order_by("occurred_on", "pk")
    )
    used, leaf_used = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    effects = tuple(_effect(event, used, leaf_used) for event in events)
    return ParticipantEvents(
        effects=effects,
        deducted=-sum((e.counted_points for e in effects if e.counted_points < 0), ZERO),
        bonus=sum((e.counted_points for e in effects if e.counted_points > 0), ZERO),
        bonus_cap=participant.cycle.bonus_cap,
        vetoed=any(e.veto for e in effects),
    )


def status_counts(events):
    """{status: n} of the given events, every status present (0 when none), + 免责."""
    counts = dict.fromkeys(EventStatus.values, 0)
    for row in events.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
