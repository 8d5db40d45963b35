"""Reads of the records area: who may write what, list filters, and the metric grid of
a cycle (communities × metric definitions)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from evidence.models import DiaryEntry, GridEvent, MetricValue
from indicators.models import MetricDefinition
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role, scope_of
from scoring.counters import COUNTERS

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
    rows = DiaryEntry.objects.for_user(user).select_related("community", "author")
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


@dataclass
class MetricCell:
    community: object
    definition: object
    value: object = None
    version: object = None
    source: str = ""
    editable: bool = False
    counted: bool = False
    error: str = ""
    input_value: str = ""

    @property
    def dom_id(self):
        return f"m-{self.community.pk}-{self.definition.key}"


@dataclass
class MetricGrid:
    cycle: object
    definitions: list
    rows: list = field(default_factory=list)

    @property
    def entry_columns(self):
        return [d for d in self.definitions if d.source != MetricDefinition.Source.COUNTED]

    @property
    def filled(self):
        return sum(
            1
            for _c, cells in self.rows
            for cell in cells
            if cell.value is not None and not cell.counted
        )

    @property
    def fillable(self):
        return len(self.rows) * len(self.entry_columns)


def metric_definitions(cycle):
    if cycle.frozen_template_id is None:
        return []
    return list(MetricDefinition.objects.filter(template_id=cycle.frozen_template_id))


def metric_grid(user, cycle):
    """The communities of the cycle's county the user reaches × the cycle's metric
    definitions: entered/imported values (editable where the user may enter them) and
    counted values (read-only, counted now). A fixed number of queries."""

    # Columns to fill first, counted ones after them.
    definitions = sorted(
        metric_definitions(cycle), key=lambda d: d.source == MetricDefinition.Source.COUNTED
    )
    communities = list(
        OrgUnit.objects.for_user(user).filter(
            path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
        )
    )
    stored = {
        (v.community_id, v.key): v
        for v in MetricValue.objects.filter(cycle=cycle, community__in=communities)
    }
    counted = {
        d.key: COUNTERS[d.key](cycle, None)
        for d in definitions
        if d.source == MetricDefinition.Source.COUNTED and d.key in COUNTERS
    }
    writable = not cycle.is_locked
    grid = MetricGrid(cycle=cycle, definitions=definitions)
    for community in communities:
        may_enter = writable and may_enter_metrics(user, community)
        cells = []
        for definition in definitions:
            cell = MetricCell(community=community, definition=definition)
            if definition.source == MetricDefinition.Source.COUNTED:
                cell.counted = True
                cell.value = counted.get(definition.key, {}).get(community.code)
            else:
                value = stored.get((community.pk, definition.key))
                if value is not None:
                    cell.value, cell.version, cell.source = value.value, value.version, value.source
                cell.editable = may_enter
            cells.append(cell)
        grid.rows.append((community, cells))
    return grid


def metric_cell(user, cycle, community, definition):
    """One entry cell, freshly read (after a save)."""
    cell = MetricCell(community=community, definition=definition)
    value = MetricValue.objects.filter(cycle=cycle, community=community, key=definition.key).first()
    if value is not None:
        cell.value, cell.version, cell.source = value.value, value.version, value.source
    cell.editable = not cycle.is_locked and may_enter_metrics(user, community)
    return cell


def filled_count(user, cycle):
    """(filled, fillable) entry cells of the communities the user reaches: the grid's
    footer after a cell was saved."""
    keys = [d.key for d in metric_definitions(cycle) if d.source != MetricDefinition.Source.COUNTED]
    communities = OrgUnit.objects.for_user(user).filter(
        path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
    )
    filled = MetricValue.objects.filter(cycle=cycle, key__in=keys, community__in=communities)
    return filled.count(), communities.count() * len(keys)
