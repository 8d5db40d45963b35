"""Counted metrics kept by the product's own records (SPEC §2 Metric: "counted from
records (民情日记 entries, 网格事件 resolved grid events)").

Each counter is one query over the county's communities and gives every community a
value (0 when it has no record), except the resolution rate, which has no value for a
community without diary entries. The period is the cycle's (first quarter start to last
quarter end, else the calendar year), cut at `cutoff` for provisional scores (SPEC §3.6).
A record a spot check found 不实 counts nowhere (SPEC §2 Record checks).
"""

from datetime import date
from decimal import Decimal

from django.db.models import Count, DateField, Max, Min, Q, Subquery, Value
from django.db.models.functions import Coalesce

from assessment.models import Quarter
from evidence.models import GridEventStatus, SpotCheckItem, SpotCheckVerdict
from org.models import OrgUnit, OrgUnitKind
from scoring.counters import counter

# The keys this module counts. The seed template names two of them differently
# (`conflicts_resolved`, `grid_events_resolved`); both spellings count the same records.
RESOLVED_CONFLICTS = ("resolved_conflicts", "conflicts_resolved", "grid_events_resolved")
RECORD_COUNTER_KEYS = frozenset(
    {*RESOLVED_CONFLICTS, "grid_events", "diary_entries", "diary_resolved", "diary_resolution_rate"}
)


def period_bounds(cycle):
    """(first day, last day) of the cycle's period as SQL expressions, so that a counter
    stays one query."""
    quarters = Quarter.objects.filter(cycle_id=cycle.pk).order_by().values("cycle_id")
    first = Coalesce(
        Subquery(quarters.annotate(d=Min("starts_on")).values("d")),
        Value(date(cycle.year, 1, 1)),
        output_field=DateField(),
    )
    last = Coalesce(
        Subquery(quarters.annotate(d=Max("ends_on")).values("d")),
        Value(date(cycle.year, 12, 31)),
        output_field=DateField(),
    )
    return first, last


def _in_period(field, cycle, cutoff):
    first, last = period_bounds(cycle)
    q = Q(**{f"{field}__gte": first}) & Q(**{f"{field}__lte": last})
    return q & Q(**{f"{field}__lte": cutoff}) if cutoff else q


def refuted(field):
    """Ids of the records (`field`: diary_entry or grid_event) a spot check found 不实."""
    return SpotCheckItem.objects.filter(
        verdict=SpotCheckVerdict.REFUTED, **{f"{field}__isnull": False}
    ).values(field)


def _counted(relation, field):
    """The rows of `relation` (a reverse relation of the community) not found 不实."""
    return ~Q(**{f"{relation}__in": refuted(field)})


def _communities(cycle):
    return OrgUnit.objects.filter(
        path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
    ).order_by()


def _counts(cycle, **annotations):
    return _communities(cycle).annotate(**annotations).values_list("code", *annotations)


def resolved_grid_events(cycle, cutoff):
    """化解矛盾数: grid events resolved (办结日期) within the period."""
    in_period = _in_period("grid_events__resolved_on", cycle, cutoff)
    resolved = Q(grid_events__status=GridEventStatus.RESOLVED)
    rows = _counts(
        cycle,
        n=Count("grid_events", filter=in_period & resolved & _counted("grid_events", "grid_event")),
    )
    return {code: Decimal(n) for code, n in rows}


for _key in RESOLVED_CONFLICTS:
    counter(_key)(resolved_grid_events)


@counter("grid_events")
def reported_grid_events(cycle, cutoff):
    """网格事件数: grid events reported within the period."""
    reported = _in_period("grid_events__reported_on", cycle, cutoff)
    rows = _counts(
        cycle, n=Count("grid_events", filter=reported & _counted("grid_events", "grid_event"))
    )
    return {code: Decimal(n) for code, n in rows}


def _diary_counts(cycle, cutoff):
    """(entries, resolved) per community: entries recorded within the period, and those
    of them resolved by its end (or the cut-off)."""
    recorded = _in_period("diary_entries__recorded_on", cycle, cutoff)
    recorded &= _counted("diary_entries", "diary_entry")
    _first, last = period_bounds(cycle)
    resolved = recorded & Q(diary_entries__resolved=True, diary_entries__resolved_on__lte=last)
    if cutoff:
        resolved &= Q(diary_entries__resolved_on__lte=cutoff)
    return _counts(
        cycle,
        entries=Count("diary_entries", filter=recorded),
        resolved=Count("diary_entries", filter=resolved),
    )


@counter("diary_entries")
def diary_entries(cycle, cutoff):
    """民情日记数."""
    return {code: Decimal(entries) for code, entries, _ in _diary_counts(cycle, cutoff)}


@counter("diary_resolved")
def diary_resolved(cycle, cutoff):
    """民情办结数."""
    return {code: Decimal(resolved) for code, _, resolved in _diary_counts(cycle, cutoff)}


@counter("diary_resolution_rate")
def diary_resolution_rate(cycle, cutoff):
    """民情办结率 (%) = 办结数 / 日记数 × 100; no entries → no value."""
    return {
        code: Decimal(resolved * 100) / Decimal(entries)
        for code, entries, resolved in _diary_counts(cycle, cutoff)
        if entries
    }
