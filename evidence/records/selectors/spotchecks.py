"""Reads of 核查 (record checks, SPEC §2 Record checks): who may check where, the period
of a cycle, the records a sample is drawn from, a cycle's checks, one check's items, and
each community's counts for the metric grid."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Max, Min, Q

from evidence.models import (
    DiaryEntry,
    GridEvent,
    GridEventStatus,
    SpotCheck,
    SpotCheckItem,
    SpotCheckKinds,
    SpotCheckVerdict,
)
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role, scope_of

# SPEC §1/§2: town assessors check their town's communities; county assessors and admins
# their county's.
CHECKER_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})
CHECKED = (SpotCheckVerdict.CONFIRMED, SpotCheckVerdict.REFUTED)

# How a sampled record is named in `SpotCheck.population`: "diary:12", "grid_event:7".
DIARY, GRID_EVENT = "diary", "grid_event"


def may_check(user, community):
    return scope_of(user).covers_path(community.path, CHECKER_ROLES)


def checks_anywhere(user):
    return scope_of(user).has_role(*CHECKER_ROLES)


def checkable_communities(user, cycle):
    """The communities of the cycle's county the user may check."""
    return OrgUnit.objects.for_user(user, roles=CHECKER_ROLES).filter(
        path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
    )


def cycle_period(cycle):
    """(first day, last day) of the cycle: its quarters, else the calendar year."""
    bounds = cycle.quarters.aggregate(first=Min("starts_on"), last=Max("ends_on"))
    return (
        bounds["first"] or date(cycle.year, 1, 1),
        bounds["last"] or date(cycle.year, 12, 31),
    )


def _diary_in(first, last):
    return Q(recorded_on__range=(first, last)) | Q(resolved=True, resolved_on__range=(first, last))


def _grid_events_in(first, last):
    return Q(reported_on__range=(first, last)) | Q(
        status=GridEventStatus.RESOLVED, resolved_on__range=(first, last)
    )


def population(community, first, last, kinds=SpotCheckKinds.ALL):
    """The keys of the records a sample is drawn from, in a fixed order: the community's
    民情日记 recorded or resolved within [first, last], then its 网格事件 reported or
    resolved within it; records already found 不实 are left out (they count nowhere)."""
    refuted = SpotCheckItem.objects.filter(verdict=SpotCheckVerdict.REFUTED)
    keys = []
    if kinds in (SpotCheckKinds.ALL, SpotCheckKinds.DIARY):
        diary = (
            DiaryEntry.objects.filter(_diary_in(first, last), community=community)
            .exclude(pk__in=refuted.filter(diary_entry__isnull=False).values("diary_entry"))
            .order_by("recorded_on", "pk")
            .values_list("pk", flat=True)
        )
        keys += [f"{DIARY}:{pk}" for pk in diary]
    if kinds in (SpotCheckKinds.ALL, SpotCheckKinds.GRID_EVENTS):
        events = (
            GridEvent.objects.filter(_grid_events_in(first, last), community=community)
            .exclude(pk__in=refuted.filter(grid_event__isnull=False).values("grid_event"))
            .order_by("reported_on", "pk")
            .values_list("pk", flat=True)
        )
        keys += [f"{GRID_EVENT}:{pk}" for pk in events]
    return keys


def parse_key(key):
    """ "diary:12" → ("diary", 12)."""
    kind, pk = key.split(":")
    return kind, int(pk)


def people_of(record):
    """Who wrote or closed the record (nobody checks their own records)."""
    if isinstance(record, DiaryEntry):
        return {record.author_id}
    return {record.reported_by_id, record.resolved_by_id} - {None}


def is_own_record(user, item):
    return user.pk in people_of(item.record)


def cycle_spot_checks(user, cycle):
    """The cycle's checks the user sees, newest first, with their progress."""
    items = "items__verdict"
    return (
        SpotCheck.objects.for_user(user)
        .filter(cycle=cycle)
        .select_related("community", "drawn_by", "deduction_type")
        .annotate(
            size=Count("items"),
            marked=Count("items", filter=Q(**{f"{items}__in": CHECKED})),
            refuted=Count("items", filter=Q(**{items: SpotCheckVerdict.REFUTED})),
        )
        .order_by("-drawn_at", "-pk")  # a grouped query leaves Meta.ordering out
    )


def check_items(check):
    """The sampled records of a check, in the order drawn, with what the page shows."""
    return list(
        check.items.select_related(
            "diary_entry__author",
            "grid_event__reported_by",
            "grid_event__resolved_by",
            "grid_event__grid",
            "checked_by",
            "deduction_event__event_type",
        )
    )


@dataclass(frozen=True)
class CheckCounts:
    """One community's records of a cycle's period: how many still count, how many a
    check has marked, how many it found 不实."""

    counted: int = 0
    checked: int = 0
    refuted: int = 0


def check_counts(cycle, communities):
    """{community pk: CheckCounts} over the records (民情日记 and 网格事件) dated within the
    cycle's period. Three queries whatever the number of communities."""
    first, last = cycle_period(cycle)
    totals = {c.pk: [0, 0, 0] for c in communities}
    for model, within in ((DiaryEntry, _diary_in), (GridEvent, _grid_events_in)):
        rows = (
            model.objects.filter(within(first, last), community__in=list(totals))
            .values("community_id")
            .annotate(
                total=Count("pk", distinct=True),
                checked=Count("pk", filter=Q(spot_check_items__verdict__in=CHECKED), distinct=True),
                refuted=Count(
                    "pk",
                    filter=Q(spot_check_items__verdict=SpotCheckVerdict.REFUTED),
                    distinct=True,
                ),
            )
            .order_by()
        )
        for row in rows:
            counts = totals[row["community_id"]]
            counts[0] += row["total"] - row["refuted"]
            counts[1] += row["checked"]
            counts[2] += row["refuted"]
    return {pk: CheckCounts(*counts) for pk, counts in totals.items()}
