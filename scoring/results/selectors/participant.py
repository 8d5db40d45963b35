"""One participant's page: the leaf-by-leaf S/T/O sheet grouped by dimension with its
subtotals and deductions (`participant_sheet`), the county average of each dimension
(`county_average`) and the radar chart's data built from the two (`radar_data`).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from core.numbers import plain_number
from indicators.models import IndicatorNode, MetricDefinition
from scoring import engine
from scoring.engine import HUNDRED, ZERO, round2
from scoring.models import LeafResult
from scoring.results.selectors.common import number


@dataclass
class LeafLine:
    code: str
    name: str
    parent_name: str
    points: Decimal
    method: str
    self_value: Decimal
    target_value: Decimal
    org_value: Decimal
    org_overridden: bool
    weighted: Decimal
    basis_text: str = ""
    # "样本不足" on a survey leaf with fewer than K counted ballots (SPEC §3.4 Validity).
    caveat: str = ""

    @property
    def method_label(self):
        return IndicatorNode.Methods(self.method).label if self.method else ""

    @property
    def weighted_text(self):
        return number(self.weighted)


@dataclass
class DimensionBlock:
    code: str
    name: str
    points: Decimal
    leaves: list = field(default_factory=list)
    self_total: Decimal = ZERO
    target_total: Decimal = ZERO
    org_total: Decimal = ZERO
    weighted: Decimal = ZERO

    @property
    def weighted_text(self):
        return number(self.weighted)

    @property
    def percent(self):
        """SPEC §3.2 composite per dimension as a share of its points (the radar)."""
        return round2(self.weighted * HUNDRED / self.points) if self.points else ZERO


@dataclass
class Sheet:
    """One participant's leaf-by-leaf S/T/O values grouped by dimension."""

    dimensions: list
    self_total: Decimal
    target_total: Decimal
    org_total: Decimal
    leaf_count: int
    # Points the deduction leaves lost, in T and in O (SPEC §3.1 扣分, §3.5 taken).
    deducted_target: Decimal
    deducted_org: Decimal
    deduction_points: Decimal
    # Every leaf of the tree (pk) → its dimension's code, for the county average.
    dimension_of_leaf: dict = field(default_factory=dict)

    @property
    def weighted_text(self):
        return number(sum((b.weighted for b in self.dimensions), ZERO))


def weighted(cycle, s, t, o):
    """SPEC §3.2: (w_S·S + w_T·T + w_O·O) / 100, exact (round2 comes once, on the sum)."""
    return (cycle.weight_self * s + cycle.weight_target * t + cycle.weight_org * o) / HUNDRED


def _tree(cycle):
    """{pk: node values} of the cycle's frozen tree, and a function giving a node's
    dimension (top-level ancestor)."""
    nodes = {
        row["pk"]: row
        for row in IndicatorNode.objects.filter(template_id=cycle.frozen_template_id)
        .order_by("sort_key")
        .values(
            "pk",
            "parent_id",
            "code",
            "name",
            "points",
            "method",
            "sort_key",
            "metric_key",
            "target_value",
        )
    }

    def dimension_of(pk):
        while nodes[pk]["parent_id"] is not None:
            pk = nodes[pk]["parent_id"]
        return nodes[pk]

    return nodes, dimension_of


def _blocks(nodes):
    return {
        node["pk"]: DimensionBlock(node["code"], node["name"], node["points"])
        for node in nodes.values()
        if node["parent_id"] is None
    }


def basis_text(node, basis, metrics):
    """What an automatic leaf's value was computed from, as the sheet shows it (SPEC
    §3.1): the metric's actual value (against the target), the satisfaction rate, or the
    points the counted events deducted."""
    method = node["method"]
    if method == engine.Method.DEDUCTION:
        if not basis:
            return _("无扣分事项")
        return _("事项扣分合计 %(points)s") % {"points": number(basis)}
    if method == engine.Method.SURVEY:
        if basis is None:
            return _("无有效测评票")
        return _("满意率 %(rate)s%%") % {"rate": number(round2(basis))}
    if method in (engine.Method.TARGET, engine.Method.BANDS):
        name, unit = metrics.get(node["metric_key"], (node["metric_key"], ""))
        if basis is None:
            return _("缺少指标数据：%(name)s") % {"name": name}
        actual = f"{plain_number(basis)}{unit}"
        if method == engine.Method.TARGET and node["target_value"] is not None:
            target = f"{plain_number(node['target_value'])}{unit}"
            return _("%(name)s 实际 %(actual)s / 目标 %(target)s") % {
                "name": name,
                "actual": actual,
                "target": target,
            }
        return _("%(name)s 实际 %(actual)s") % {"name": name, "actual": actual}
    return ""


def participant_sheet(result, cycle, *, small=None):
    """The result's leaves grouped by dimension, with subtotals (three queries).

    `small` is the community's `inputs.SmallSample` when its democratic appraisal has
    fewer than K counted ballots: its survey leaves say 样本不足 (only county staff get
    such a sheet: `scoring.results.views.sheet_for`)."""
    nodes, dimension_of = _tree(cycle)
    blocks = _blocks(nodes)
    values = {
        row["leaf_id"]: row
        for row in LeafResult.objects.filter(sheet_id=result.sheet_id).values(
            "leaf_id", "self_value", "target_value", "org_value", "org_overridden", "basis"
        )
    }
    metrics = {
        key: (name, unit)
        for key, name, unit in MetricDefinition.objects.filter(
            template_id=cycle.frozen_template_id
        ).values_list("key", "name", "unit")
    }
    deducted_t = deducted_o = deduction_points = ZERO
    dimension_of_leaf = {}
    for pk, node in nodes.items():
        dimension_of_leaf[pk] = dimension_of(pk)["code"]
        row = values.get(pk)
        if row is None:
            continue
        s, t, o = row["self_value"], row["target_value"], row["org_value"]
        parent = nodes.get(node["parent_id"])
        block = blocks[dimension_of(pk)["pk"]]
        line = LeafLine(
            code=node["code"],
            name=node["name"],
            parent_name=parent["name"] if parent and parent["parent_id"] is not None else "",
            points=node["points"],
            method=node["method"],
            self_value=s,
            target_value=t,
            org_value=o,
            org_overridden=row["org_overridden"],
            weighted=weighted(cycle, s, t, o),
            basis_text=basis_text(node, row["basis"], metrics),
        )
        if small is not None and node["method"] == engine.Method.SURVEY:
            line.caveat = _("样本不足")
            told = _("有效测评票 %(n)d 张，少于 %(k)d 张，测评无效") % {
                "n": small.counted,
                "k": small.k,
            }
            line.basis_text = f"{told}；{line.basis_text}"
        block.leaves.append(line)
        block.self_total += s
        block.target_total += t
        block.org_total += o
        block.weighted += line.weighted
        if node["method"] == engine.Method.DEDUCTION:
            deduction_points += node["points"]
            deducted_t += node["points"] - t
            deducted_o += node["points"] - o
    dimensions = [b for b in blocks.values() if b.leaves]
    return Sheet(
        dimensions=dimensions,
        self_total=sum((b.self_total for b in dimensions), ZERO),
        target_total=sum((b.target_total for b in dimensions), ZERO),
        org_total=sum((b.org_total for b in dimensions), ZERO),
        leaf_count=len(values),
        deducted_target=deducted_t,
        deducted_org=deducted_o,
        deduction_points=deduction_points,
        dimension_of_leaf=dimension_of_leaf,
    )


def county_average(version, cycle, sheet):
    """Per dimension of `sheet`, the mean over every participant of the version of the
    weighted composite as a share of the dimension's points, and n."""
    sums = defaultdict(lambda: ZERO)
    n = 0
    for leaf_id, (s, t, o, count) in leaf_sums(version).items():
        dimension = sheet.dimension_of_leaf.get(leaf_id)
        sums[dimension] += weighted(cycle, s, t, o)
        n = max(n, count)
    averages = {}
    for block in sheet.dimensions:
        mean = sums[block.code] / n if n else ZERO
        averages[block.code] = round2(mean * HUNDRED / block.points) if block.points else ZERO
    return averages, n


def leaf_sums(version):
    """{leaf id: (Σ self, Σ target, Σ org, n)} over every participant of the version (one
    query). A stored version never changes, so the sums are kept in the cache under its
    id: every participant page of the version reads them."""
    key = f"scoring:leaf-sums:{version.pk}"
    found = cache.get(key)
    if found is None:
        found = {
            row["leaf_id"]: (row["s"], row["t"], row["o"], row["n"])
            for row in LeafResult.objects.filter(sheet__results__version=version)
            .values("leaf_id")
            .annotate(s=Sum("self_value"), t=Sum("target_value"), o=Sum("org_value"), n=Count("pk"))
            .order_by()
        }
        cache.set(key, found, LEAF_SUMS_SECONDS)
    return found


LEAF_SUMS_SECONDS = 60 * 60


def radar_data(participant_name, sheet, averages, n):
    """The radar chart's data (json_script): dimensions as % of their points."""
    return {
        "indicators": [{"name": b.name, "max": 100} for b in sheet.dimensions],
        "series": [
            {"name": participant_name, "value": [str(b.percent) for b in sheet.dimensions]},
            {
                "name": _("全县平均（%(n)d 人）") % {"n": n},
                "value": [str(averages[b.code]) for b in sheet.dimensions],
            },
        ],
    }
