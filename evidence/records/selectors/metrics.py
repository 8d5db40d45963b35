"""Reads of the metric grid of a cycle (指标数据: communities × metric definitions), with
each community's record checks beside the counted columns."""

from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from evidence.models import MetricValue
from evidence.records.selectors.records import may_enter_metrics
from evidence.records.selectors.spotchecks import check_counts
from indicators.models import MetricDefinition
from org.models import OrgUnit, OrgUnitKind
from scoring.counters import COUNTERS


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
    """`rows`: (community, cells, record checks) per community."""

    cycle: object
    definitions: list
    rows: list = field(default_factory=list)


def metric_definitions(cycle):
    if cycle.frozen_template_id is None:
        return []
    return list(MetricDefinition.objects.filter(template_id=cycle.frozen_template_id))


def grid_communities(user, cycle, q="", town=None):
    """The communities of the cycle's county the user reaches, in tree order, optionally
    one town's (a town outside the user's scope: none) or those whose name or code
    contains `q` — the grid's rows, for the page to paginate."""
    communities = OrgUnit.objects.for_user(user).filter(
        path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
    )
    if town is not None:
        communities = communities.filter(parent_id=town)
    if q:
        communities = communities.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return communities.order_by("path")


def metric_grid(user, cycle, communities, definitions):
    """`communities` (a page of `grid_communities`) × the cycle's metric `definitions`:
    entered/imported values (editable where the user may enter them), counted values
    (read-only, counted now) and each community's record checks (records counted /
    checked / 不实). A fixed number of queries."""

    # Columns to fill first, counted ones after them.
    definitions = sorted(definitions, key=lambda d: d.source == MetricDefinition.Source.COUNTED)
    communities = list(communities)
    stored = {
        (v.community_id, v.key): v
        for v in MetricValue.objects.filter(cycle=cycle, community__in=communities)
    }
    counted = {
        d.key: COUNTERS[d.key](cycle, None)
        for d in definitions
        if d.source == MetricDefinition.Source.COUNTED and d.key in COUNTERS
    }
    checks = check_counts(cycle, communities)
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
        grid.rows.append((community, cells, checks[community.pk]))
    return grid


def metric_cell(user, cycle, community, definition):
    """One entry cell, freshly read (after a save)."""
    cell = MetricCell(community=community, definition=definition)
    value = MetricValue.objects.filter(cycle=cycle, community=community, key=definition.key).first()
    if value is not None:
        cell.value, cell.version, cell.source = value.value, value.version, value.source
    cell.editable = not cycle.is_locked and may_enter_metrics(user, community)
    return cell


def grid_totals(user, cycle, definitions=None):
    """(filled entry cells, fillable entry cells, communities) over every community the
    user reaches — the grid's footer, whatever page it shows — in one query
    (`definitions`: the cycle's, when already read)."""
    if definitions is None:
        definitions = metric_definitions(cycle)
    keys = [d.key for d in definitions if d.source != MetricDefinition.Source.COUNTED]
    filled = (
        MetricValue.objects.filter(cycle=cycle, key__in=keys, community=OuterRef("pk"))
        .order_by()
        .values("community")
        .annotate(n=Count("pk"))
        .values("n")
    )
    totals = (
        OrgUnit.objects.for_user(user)
        .filter(path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY)
        .annotate(entered=Coalesce(Subquery(filled, output_field=IntegerField()), 0))
        .aggregate(communities=Count("pk"), filled=Coalesce(Sum("entered"), 0))
    )
    return totals["filled"], totals["communities"] * len(keys), totals["communities"]


def filled_count(user, cycle):
    """(filled, fillable) entry cells of the communities the user reaches: the grid's
    footer after a cell was saved."""
    filled, fillable, _communities = grid_totals(user, cycle)
    return filled, fillable
