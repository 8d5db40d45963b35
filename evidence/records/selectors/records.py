"""Reads of 民情日记 and 网格事件: who may write what, and the lists with their filters."""

from datetime import date

from django.db.models import Exists, OuterRef, Q

from evidence.models import DiaryEntry, GridEvent, SpotCheckItem
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role, scope_of

# SPEC §1: county assessors for their county, town assessors for their town's communities.
METRIC_ENTRY_ROLES = frozenset({Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})
# 网格事件 are reported and handled by the community's secretary or a town/county assessor.
GRID_EVENT_STAFF_ROLES = frozenset({Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})


def own_communities(user):
    """The communities the user is secretary of (民情日记 is written only there)."""
    ids = [g.unit_id for g in scope_of(user).grants if g.role == Role.SECRETARY]
    return OrgUnit.objects.filter(pk__in=ids, kind=OrgUnitKind.COMMUNITY)


def may_enter_metrics(user, community):
    return scope_of(user).covers_path(community.path, METRIC_ENTRY_ROLES)


def may_keep_grid_events(user, community):
    """Report and move a grid event of this community."""
    scope = scope_of(user)
    if scope.covers_path(community.path, GRID_EVENT_STAFF_ROLES):
        return True
    return any(g.role == Role.SECRETARY and g.unit_id == community.pk for g in scope.grants)


def may_reopen_grid_events(user, community):
    return scope_of(user).covers_path(community.path, GRID_EVENT_STAFF_ROLES)


def writes_grid_events(user):
    return scope_of(user).has_role(Role.SECRETARY, *GRID_EVENT_STAFF_ROLES)


def grid_event_communities(user):
    """Communities the user may report grid events for."""
    scope = scope_of(user)
    staff = scope.path_q("path", GRID_EVENT_STAFF_ROLES)
    own = [g.unit_id for g in scope.grants if g.role == Role.SECRETARY]
    return OrgUnit.objects.filter(Q(pk__in=own) | staff, kind=OrgUnitKind.COMMUNITY)


def grids_of(community):
    return OrgUnit.objects.filter(parent=community, kind=OrgUnitKind.GRID)


def parse_month(text):
    """'2026-03' → (first day, last day), or None."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        return None
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def diary_entries(user, *, month="", category="", resolved="", community=None):
    """`drawn`: the entry is in a 核查 sample, so its author can no longer change it."""
    rows = (
        DiaryEntry.objects.for_user(user)
        .select_related("community", "author")
        .annotate(drawn=Exists(SpotCheckItem.objects.filter(diary_entry=OuterRef("pk"))))
    )
    if bounds := parse_month(month):
        rows = rows.filter(recorded_on__range=bounds)
    if category:
        rows = rows.filter(category=category)
    if resolved in ("yes", "no"):
        rows = rows.filter(resolved=resolved == "yes")
    if community:
        rows = rows.filter(community__code=community)
    return rows


def grid_events(user, *, month="", category="", status="", community=None):
    rows = GridEvent.objects.for_user(user).select_related("community", "grid", "reported_by")
    if bounds := parse_month(month):
        rows = rows.filter(reported_on__range=bounds)
    if category:
        rows = rows.filter(category=category)
    if status:
        rows = rows.filter(status=status)
    if community:
        rows = rows.filter(community__code=community)
    return rows
