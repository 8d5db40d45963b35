"""Validation of an indicator tree and its event types (SPEC §3.1).

Works on plain data (`NodeSpec`, `EventTypeSpec`) so the browser editor can check a tree
as the user types, the Excel import can check a sheet before writing, and opening a
cycle can refuse an invalid template, all with the same rules. Every problem is
returned at once, each naming the node or event type it is about.
"""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import plain_number
from indicators.labels import event_type_label, node_label

TOTAL_POINTS = Decimal(100)
CODE_PATTERN = re.compile(r"^[1-9]\d*(\.[1-9]\d*)*$")
# The seed warns against 一票否决泛化: more veto types than this is flagged, not refused.
VETO_TYPES_WARNING_ABOVE = 5


class Method:
    RATING = "rating"
    TARGET = "target"
    BANDS = "bands"
    DEDUCTION = "deduction"
    SURVEY = "survey"

    AUTOMATIC = frozenset({TARGET, BANDS, DEDUCTION, SURVEY})
    ALL = frozenset({RATING, TARGET, BANDS, DEDUCTION, SURVEY})
    NEEDS_METRIC = frozenset({TARGET, BANDS})


@dataclass(frozen=True)
class NodeSpec:
    code: str
    name: str
    points: Decimal
    parent_code: str | None = None
    method: str = ""
    range_min: Decimal | None = None
    range_max: Decimal | None = None
    metric_key: str = ""
    target_value: Decimal | None = None
    bands: tuple[tuple[Decimal, Decimal], ...] = ()
    bars: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class EventTypeSpec:
    code: str
    name: str
    points: Decimal
    leaf_code: str | None = None
    cap: Decimal | None = None
    is_veto: bool = False


@dataclass(frozen=True)
class Problem:
    """One finding. `subject` is the node or event-type code it is about (None: the
    whole template); warnings do not block, errors do."""

    subject: str | None
    message: str
    field: str = ""
    is_warning: bool = False


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self):
        return [p for p in self.problems if not p.is_warning]

    @property
    def warnings(self):
        return [p for p in self.problems if p.is_warning]

    @property
    def is_valid(self):
        return not self.errors

    def add(self, subject, message, field="", warning=False):
        self.problems.append(Problem(subject, message, field, warning))

    def for_subject(self, code):
        return [p for p in self.problems if p.subject == code]


def _label(node):
    return node_label(node)


def validate_tree(nodes, metric_keys=None):
    """All problems of an indicator tree (SPEC §3.1).

    `metric_keys`, when given, are the defined 数据项; a target/bands leaf must use one.
    """
    report = Report()
    by_code = {}
    for node, count in Counter(n.code for n in nodes).items():
        if count > 1:
            report.add(
                node, _("编码 %(code)s 重复出现 %(n)d 次。") % {"code": node, "n": count}, "code"
            )
    for node in nodes:
        by_code.setdefault(node.code, node)
    children = defaultdict(list)
    for node in nodes:
        children[node.parent_code].append(node)

    for node in nodes:
        _check_code(report, node, by_code)
        if node.points is None or node.points <= 0:
            report.add(
                node.code, _("%(node)s：分值必须大于 0。") % {"node": _label(node)}, "points"
            )
        if children.get(node.code):
            _check_parent(report, node, children[node.code])
        else:
            _check_leaf(report, node, metric_keys)
        if node.parent_code is None:
            _check_range(report, node)
        elif node.range_min is not None or node.range_max is not None:
            report.add(
                node.code,
                _("%(node)s：只有一级指标可以设置分值范围。") % {"node": _label(node)},
                "range_min",
            )

    top = children.get(None, [])
    total = sum((n.points or Decimal(0) for n in top), Decimal(0))
    if not top:
        report.add(None, _("指标体系还没有任何指标。"))
    elif total != TOTAL_POINTS:
        report.add(
            None,
            _("一级指标分值合计 %(total)s，应为 100。") % {"total": plain_number(total)},
            "points",
        )
    return report


def _check_code(report, node, by_code):
    if not CODE_PATTERN.match(node.code or ""):
        report.add(
            node.code,
            _("%(node)s：编码应为 1、1.2、1.2.3 这样的数字层级。") % {"node": _label(node)},
            "code",
        )
        return
    expected_parent = node.code.rsplit(".", 1)[0] if "." in node.code else None
    if node.parent_code != expected_parent:
        if node.parent_code is None:
            message = _("%(node)s：一级指标的编码不能带“.”。")
        else:
            message = _("%(node)s：编码应以上级编码 %(parent)s 开头，如 %(parent)s.1。")
        report.add(node.code, message % {"node": _label(node), "parent": node.parent_code}, "code")
    if node.parent_code is not None and node.parent_code not in by_code:
        report.add(
            node.code,
            _("%(node)s：上级指标 %(parent)s 不存在。")
            % {"node": _label(node), "parent": node.parent_code},
            "parent",
        )


def _check_parent(report, node, kids):
    total = sum((k.points or Decimal(0) for k in kids), Decimal(0))
    if node.points is not None and total != node.points:
        report.add(
            node.code,
            _("%(node)s：下级指标分值合计 %(total)s，与本级分值 %(points)s 不符。")
            % {
                "node": _label(node),
                "total": plain_number(total),
                "points": plain_number(node.points),
            },
            "points",
        )
    if node.method:
        report.add(
            node.code,
            _("%(node)s：有下级指标的指标不设评分方法。") % {"node": _label(node)},
            "method",
        )


def _check_range(report, node):
    low, high = node.range_min, node.range_max
    if low is None and high is None:
        return
    if low is None or high is None or low > high:
        report.add(
            node.code,
            _("%(node)s：分值范围应同时填写下限和上限，且下限不大于上限。")
            % {"node": _label(node)},
            "range_min",
        )
        return
    if node.points is not None and not low <= node.points <= high:
        report.add(
            node.code,
            _("%(node)s：分值 %(points)s 不在允许范围 %(low)s–%(high)s 内。")
            % {
                "node": _label(node),
                "points": plain_number(node.points),
                "low": plain_number(low),
                "high": plain_number(high),
            },
            "points",
        )


def _check_leaf(report, node, metric_keys):
    label = _label(node)
    if node.method not in Method.ALL:
        report.add(node.code, _("%(node)s：末级指标必须选择评分方法。") % {"node": label}, "method")
        return
    if node.method in Method.NEEDS_METRIC:
        if not node.metric_key:
            report.add(node.code, _("%(node)s：请选择数据项。") % {"node": label}, "metric_key")
        elif metric_keys is not None and node.metric_key not in metric_keys:
            report.add(
                node.code,
                _("%(node)s：数据项“%(key)s”未定义。") % {"node": label, "key": node.metric_key},
                "metric_key",
            )
    if node.method == Method.TARGET and (node.target_value is None or node.target_value <= 0):
        report.add(node.code, _("%(node)s：目标值必须大于 0。") % {"node": label}, "target_value")
    if node.method == Method.BANDS:
        _check_bands(report, node, label)
    if node.bars and node.method != Method.RATING:
        report.add(
            node.code, _("%(node)s：只有“评分”指标可以设置行为锚定等级。") % {"node": label}, "bars"
        )
    for bars_label, value in node.bars:
        if not bars_label.strip():
            report.add(node.code, _("%(node)s：行为锚定等级需要名称。") % {"node": label}, "bars")
        if node.points is not None and not Decimal(0) <= value <= node.points:
            report.add(
                node.code,
                _("%(node)s：行为锚定等级“%(level)s”的分值 %(value)s 超出 0–%(points)s。")
                % {
                    "node": label,
                    "level": bars_label,
                    "value": plain_number(value),
                    "points": plain_number(node.points),
                },
                "bars",
            )


def _check_bands(report, node, label):
    if not node.bands:
        report.add(node.code, _("%(node)s：分档指标至少需要一档。") % {"node": label}, "bands")
        return
    thresholds = [t for t, _v in node.bands]
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
        report.add(
            node.code,
            _("%(node)s：分档的门槛值必须从小到大排列且不重复。") % {"node": label},
            "bands",
        )
    for threshold, value in node.bands:
        if node.points is not None and not Decimal(0) <= value <= node.points:
            report.add(
                node.code,
                _("%(node)s：门槛 %(threshold)s 对应的分值 %(value)s 超出 0–%(points)s。")
                % {
                    "node": label,
                    "threshold": plain_number(threshold),
                    "value": plain_number(value),
                    "points": plain_number(node.points),
                },
                "bands",
            )


def validate_event_types(event_types, nodes):
    """Event types against the tree: a deduction type is charged to a `deduction` leaf;
    a veto type needs no leaf; bonuses are not charged to a leaf (SPEC §2, §3.3)."""
    report = Report()
    leaves = {n.code: n for n in nodes}
    for code, count in Counter(e.code for e in event_types).items():
        if count > 1:
            report.add(code, _("事项类型编码 %(code)s 重复。") % {"code": code}, "code")
    for event_type in event_types:
        label = event_type_label(event_type)
        if event_type.cap is not None and event_type.cap <= 0:
            report.add(event_type.code, _("%(type)s：上限必须大于 0。") % {"type": label}, "cap")
        if event_type.points < 0 and not event_type.is_veto:
            leaf = leaves.get(event_type.leaf_code)
            if leaf is None or leaf.method != Method.DEDUCTION:
                report.add(
                    event_type.code,
                    _("%(type)s：扣分事项必须计入一个“扣分”方法的末级指标。") % {"type": label},
                    "leaf",
                )
        elif event_type.leaf_code and not event_type.is_veto:
            report.add(
                event_type.code,
                _("%(type)s：加分事项在加权后另计，不计入指标。") % {"type": label},
                "leaf",
            )
        if event_type.points == 0 and not event_type.is_veto:
            report.add(
                event_type.code,
                _("%(type)s：分值不能为 0（一票否决事项除外）。") % {"type": label},
                "points",
            )
    vetoes = sum(1 for e in event_types if e.is_veto)
    if vetoes > VETO_TYPES_WARNING_ABOVE:
        report.add(
            None,
            _("共有 %(n)d 类一票否决事项。请避免“一票否决”泛化，保障基层干事创业的积极性。")
            % {"n": vetoes},
            warning=True,
        )
    return report
