"""Reading results for the result pages (issue 5): the ranking, one participant's sheet
and score card, and the quota and pay-tier preview.

Every function reads with a fixed number of queries whatever the number of participants
(DESIGN §7), and starts from `Result.objects.for_user`, so a secretary sees their own
results only once the cycle is 公示中 or later. The score card and the preview re-derive
each step of SPEC §3.2–§3.5 from the stored numbers so that a reader can check it by
hand; the engine stays the only place that decides.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, OrgUnit, OrgUnitKind
from indicators.models import EventType, IndicatorNode
from scoring import engine
from scoring.engine import HUNDRED, ZERO, round2, round_half_up
from scoring.models import LeafResult, Result

TIERS = engine.TierLabels()


def number(value):
    """A Decimal with at least two decimals and every further digit it has: 8.52, 42.125.
    Products of weights are shown exactly, so a reader's sum matches the page."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def percent(value):
    """A share in percent as written in settings: 20, 12.5."""
    text = format(Decimal(value).normalize(), "f")
    return f"{text}%"


def split_warning(text):
    """An engine warning "kind: detail" as (kind, detail)."""
    kind, _colon, detail = str(text).partition(":")
    return kind.strip(), detail.strip()


def grade_order(cycle):
    """The cycle's grade labels best first, 不定等次 last."""
    return [*cycle.grade_labels, engine.GradeLabels().ungraded]


def tier_coefficients(cycle):
    return {
        TIERS.top: cycle.coefficient_top,
        TIERS.middle: cycle.coefficient_middle,
        TIERS.bottom: cycle.coefficient_bottom,
    }


def event_type_names(cycle):
    if cycle.frozen_template_id is None:
        return {}
    return dict(
        EventType.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "name")
    )


def describe_vetoes(reasons, names):
    """Stored veto reasons [{type, on, text}] as readable lines."""
    lines = []
    for reason in reasons:
        name = names.get(reason.get("type"), reason.get("type", ""))
        parts = [name]
        if reason.get("on"):
            parts.append(f"（{reason['on']}）")
        if reason.get("text"):
            parts.append(f"：{reason['text']}")
        lines.append("".join(parts))
    return lines


def decorate(row, names):
    """What the pages show beside a result row: warning badges, veto lines."""
    badges = defaultdict(list)
    for text in row.warnings:
        kind, detail = split_warning(text)
        if detail:
            badges[kind].append(detail)
        else:
            badges.setdefault(kind, [])
    row.warning_badges = [(kind, "；".join(details)) for kind, details in badges.items()]
    row.veto_lines = describe_vetoes(row.veto_reasons, names)
    row.coefficient_text = number(row.coefficient)
    return row


# ------------------------------------------------------------------------- ranking


def visible_results(user, version):
    return Result.objects.for_user(user).filter(version=version)


# Sort keys of the ranking page (query parameter `sort`, "-" for descending): a
# whitelist, so no user input reaches order_by.
SORT_FIELDS = {
    "rank": "rank",
    "staff_no": "participant__secretary__staff_no",
    "name": "participant__secretary__name",
    "town": "participant__community__parent__path",
    "community": "participant__community__path",
    "self": "self_total",
    "target": "target_total",
    "org": "org_total",
    "composite": "composite",
    "bonus": "bonus",
    "final": "final",
    "grade": "grade_order",
    "veto": "veto",
    "tier": "tier_order",
    "coefficient": "coefficient",
    "pay": "pay",
}


@dataclass(frozen=True)
class RankingFilters:
    town: int | None = None
    grade: str = ""
    tier: str = ""
    veto: bool | None = None
    q: str = ""


def _label_order(field_name, labels):
    return Case(
        *(When(**{field_name: label}, then=Value(i)) for i, label in enumerate(labels)),
        default=Value(len(labels)),
        output_field=IntegerField(),
    )


NO_FILTERS = RankingFilters()


def ranking_rows(user, cycle, version, filters=NO_FILTERS, sort="rank"):
    """The rows of the version the user sees, filtered and sorted (one query). Graded
    participants come first; the non-graded follow, unranked (SPEC §3.5)."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_FIELDS:
        key, descending = "rank", False
    rows = (
        visible_results(user, version)
        .select_related("participant__secretary", "participant__community__parent")
        .annotate(
            grade_order=_label_order("grade", grade_order(cycle)),
            tier_order=_label_order("tier", [TIERS.top, TIERS.middle, TIERS.bottom]),
        )
    )
    if filters.town:
        rows = rows.filter(participant__community__parent_id=filters.town)
    if filters.grade:
        rows = rows.filter(grade=filters.grade)
    if filters.tier:
        rows = rows.filter(tier=filters.tier)
    if filters.veto is not None:
        rows = rows.filter(veto=filters.veto)
    if filters.q:
        rows = rows.filter(
            Q(participant__secretary__name__icontains=filters.q)
            | Q(participant__secretary__staff_no__icontains=filters.q)
            | Q(participant__community__name__icontains=filters.q)
        )
    order = [F("graded").desc()]
    if key == "rank":
        order.append("group")
    chosen = F(SORT_FIELDS[key])
    order.append(chosen.desc(nulls_last=True) if descending else chosen.asc(nulls_last=True))
    order += ["group", F("rank").asc(nulls_last=True), "participant__secretary__staff_no"]
    names = event_type_names(cycle)
    return [decorate(row, names) for row in rows.order_by(*order)]


def town_choices(user, cycle):
    """The towns of the cycle's county the user reaches, for the town filter."""
    return OrgUnit.objects.for_user(user).filter(
        kind=OrgUnitKind.TOWN, path__startswith=cycle.county.path
    )


@dataclass
class WarningSummary:
    """What the ranking's warning panel shows: the cycle's warnings and, per kind of
    participant warning, how many of the visible participants carry it."""

    overflow: list = field(default_factory=list)  # (staff_no, name) demoted by the quota
    overflow_total: int = 0
    other: list = field(default_factory=list)  # cycle warnings of other kinds
    per_kind: list = field(default_factory=list)  # (kind, participants)

    def __bool__(self):
        return bool(self.overflow_total or self.other or self.per_kind)


QUOTA_WARNING = "优秀名额"


def warning_summary(user, version):
    visible = visible_results(user, version)
    per_kind = Counter()
    for warnings in visible.values_list("warnings", flat=True):
        per_kind.update({split_warning(text)[0] for text in warnings})
    summary = WarningSummary(per_kind=sorted(per_kind.items(), key=lambda kv: -kv[1]))
    overflow = []
    for text in version.warnings:
        kind, detail = split_warning(text)
        if kind == QUOTA_WARNING:
            overflow.append(detail)
        else:
            summary.other.append(text)
    summary.overflow_total = len(overflow)
    if overflow:
        # Only the names the user may see; the count is the whole cycle's.
        summary.overflow = list(
            visible.filter(participant__secretary__staff_no__in=overflow)
            .order_by("rank", "participant__secretary__staff_no")
            .values_list("participant__secretary__staff_no", "participant__secretary__name")
        )
    return summary


# ------------------------------------------------------------- one participant


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
        .values("pk", "parent_id", "code", "name", "points", "method", "sort_key")
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


def participant_sheet(result, cycle):
    """The result's leaves grouped by dimension, with subtotals (two queries)."""
    nodes, dimension_of = _tree(cycle)
    blocks = _blocks(nodes)
    values = {
        row["leaf_id"]: row
        for row in LeafResult.objects.filter(result=result).values(
            "leaf_id", "self_value", "target_value", "org_value", "org_overridden"
        )
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
        )
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
    weighted composite as a share of the dimension's points (one query), and n."""
    sums = defaultdict(lambda: ZERO)
    n = 0
    rows = (
        LeafResult.objects.filter(result__version=version)
        .values("leaf_id")
        .annotate(s=Sum("self_value"), t=Sum("target_value"), o=Sum("org_value"), n=Count("pk"))
        .order_by()
    )
    for row in rows:
        dimension = sheet.dimension_of_leaf.get(row["leaf_id"])
        sums[dimension] += weighted(cycle, row["s"], row["t"], row["o"])
        n = max(n, row["n"])
    averages = {}
    for block in sheet.dimensions:
        mean = sums[block.code] / n if n else ZERO
        averages[block.code] = round2(mean * HUNDRED / block.points) if block.points else ZERO
    return averages, n


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


# ------------------------------------------------------------------- score card


@dataclass
class Step:
    """One line of the score card: what is computed, how, the outcome, and whether it
    equals the stored result (None: nothing stored to compare)."""

    label: str
    formula: str
    value: str
    ok: bool | None = None
    stored: str = ""


def threshold_grade(cycle, final):
    """SPEC §3.5: the grade by the cycle's score lines alone."""
    if final >= cycle.threshold_excellent:
        return cycle.label_excellent
    if final >= cycle.threshold_qualified:
        return cycle.label_qualified
    if final >= cycle.threshold_basic:
        return cycle.label_basic
    return cycle.label_failed


def group_of(version, result):
    """The stored ranking group {key, n, quota, top, bottom, warnings} of the result."""
    for group in version.groups:
        if (group.get("key") or "") == result.group:
            return group
    return {"key": result.group, "n": 0, "quota": 0, "top": 0, "bottom": 0, "warnings": []}


def tied_count(result):
    """How many share the result's rank in its group (one query)."""
    if result.rank is None:
        return 0
    return Result.objects.filter(
        version_id=result.version_id, group=result.group, rank=result.rank
    ).count()


def tier_for(rank, n, top, bottom, veto):
    """SPEC §3.5: r ≤ top → 一档; r > n − bottom → 三档; else 二档; vetoed → 三档."""
    if veto or rank > n - bottom:
        return TIERS.bottom
    if rank <= top:
        return TIERS.top
    return TIERS.middle


def _text(value):
    return number(value) if isinstance(value, Decimal) else str(value or "—")


def _compared(label, formula, computed, stored):
    """A step whose outcome is also stored: marked ok, or showing the stored value."""
    ok = computed == stored
    return Step(label, formula, _text(computed), ok, "" if ok else _text(stored))


def score_card(result, cycle, version, sheet, tied):
    """SPEC §3.2–§3.5 step by step for one stored result: (steps, waterfall data)."""
    weights = (cycle.weight_self, cycle.weight_target, cycle.weight_org)
    totals = (sheet.self_total, sheet.target_total, sheet.org_total)
    products = [weight * total / HUNDRED for weight, total in zip(weights, totals, strict=True)]
    raw = sum(products, ZERO)
    composite = round2(raw)
    final = composite + result.bonus
    deducted = _("（扣分类指标已扣 %(d)s 分）") if sheet.deduction_points else ""
    steps = [
        _compared(
            _("自评合计 S"),
            _("%(n)d 项末级指标的自评得分之和") % {"n": sheet.leaf_count},
            sheet.self_total,
            result.self_total,
        ),
        _compared(
            _("目标量评合计 T"),
            _("各末级指标的目标量评得分之和") + (deducted % {"d": number(sheet.deducted_target)}),
            sheet.target_total,
            result.target_total,
        ),
        _compared(
            _("组织考评合计 O"),
            _("各末级指标的组织考评得分之和") + (deducted % {"d": number(sheet.deducted_org)}),
            sheet.org_total,
            result.org_total,
        ),
    ]
    labels = (_("自评 × 权重"), _("目标量评 × 权重"), _("组织考评 × 权重"))
    for label, weight, total, product in zip(labels, weights, totals, products, strict=True):
        steps.append(Step(label, f"{number(total)} × {percent(weight)}", number(product)))
    steps.append(Step(_("加权合计"), " + ".join(number(p) for p in products), number(raw)))
    steps.append(
        _compared(
            _("综合得分"),
            _("round2(%(raw)s)：四舍五入保留两位小数") % {"raw": number(raw)},
            composite,
            result.composite,
        )
    )
    steps.append(
        Step(
            _("加分"),
            _("已核实、未免责的加分事项之和，上限 %(cap)s 分，加在加权之后")
            % {"cap": number(cycle.bonus_cap)},
            number(result.bonus),
            result.bonus <= cycle.bonus_cap,
        )
    )
    steps.append(
        _compared(
            _("最终得分"),
            f"{number(composite)} + {number(result.bonus)}",
            final,
            result.final,
        )
    )
    if result.veto:
        vetoes = "；".join(describe_vetoes(result.veto_reasons, event_type_names(cycle)))
        steps.append(Step(_("一票否决"), vetoes, _("是")))
    else:
        steps.append(
            Step(
                _("一票否决"),
                _("无已核实、未免责的否决事项（已免责的事项不扣分、不否决）"),
                _("否"),
            )
        )
    steps.extend(_grade_steps(result, cycle, version, final, tied))
    return steps, waterfall_data(result, sheet, cycle, products, composite)


def _quota_step(result, cycle, group, by_line, tied):
    """SPEC §3.5: a candidate keeps 优秀 only if its whole tied group fits the cap."""
    if result.veto:
        rule, how = cycle.label_failed, _("一票否决 → %(g)s") % {"g": cycle.label_failed}
    elif by_line != cycle.label_excellent:
        rule, how = by_line, _("未达优秀线，不占优秀名额")
    else:
        last = (result.rank or 0) - 1 + tied
        fits = last <= group["quota"]
        rule = cycle.label_excellent if fits else cycle.label_qualified
        outcome = _("整组在名额内，保留%(g)s") if fits else _("并列组超出名额，改为%(g)s")
        how = _("名次 %(r)d，并列 %(t)d 人，占至第 %(last)d 名；优秀名额 %(q)d → %(outcome)s") % {
            "r": result.rank,
            "t": tied,
            "last": last,
            "q": group["quota"],
            "outcome": outcome % {"g": rule},
        }
    return _compared(_("优秀名额"), how, rule, result.rule_grade)


def _grade_steps(result, cycle, version, final, tied):
    ungraded = engine.GradeLabels().ungraded
    if not result.graded:
        formula = _("不参加评定：不排名，不定等次，无档次、系数和绩效报酬")
        return [_compared(_("等次"), formula, ungraded, result.grade)]
    by_line = threshold_grade(cycle, final)
    lines = _("优秀线 %(e)s，合格线 %(q)s，基本合格线 %(b)s") % {
        "e": number(cycle.threshold_excellent),
        "q": number(cycle.threshold_qualified),
        "b": number(cycle.threshold_basic),
    }
    group = group_of(version, result)
    steps = [Step(_("按分数线"), lines, by_line), _quota_step(result, cycle, group, by_line, tied)]
    if result.override_reason:
        how = _("%(rule)s → %(grade)s，理由：%(reason)s") % {
            "rule": result.rule_grade,
            "grade": result.grade,
            "reason": result.override_reason,
        }
        steps.append(Step(_("等次调整"), how, result.grade))
    n, top, bottom, rank = group["n"], group["top"], group["bottom"], result.rank or 0
    steps.append(
        Step(
            _("排名"),
            _("排名范围内参加评定 %(n)d 人，分数相同者名次并列") % {"n": n},
            f"{rank} / {n}",
        )
    )
    if result.veto:
        rule = _("一票否决 → %(t)s") % {"t": TIERS.bottom}
    else:
        rule = _(
            "一档 %(top)d 人（名次 ≤ %(top)d），三档 %(bottom)d 人（名次 > %(cut)d），其余二档"
        ) % {
            "top": top,
            "bottom": bottom,
            "cut": n - bottom,
        }
    tier = tier_for(rank, n, top, bottom, result.veto)
    steps.append(_compared(_("档次"), rule, tier, result.tier))
    coefficient = tier_coefficients(cycle)[tier]
    steps.append(
        _compared(_("系数"), _("%(tier)s系数") % {"tier": tier}, coefficient, result.coefficient)
    )
    pay = round2(cycle.pay_base * coefficient)
    formula = _("round2(绩效基数 %(base)s × 系数 %(c)s)") % {
        "base": number(cycle.pay_base),
        "c": number(coefficient),
    }
    steps.append(_compared(_("绩效报酬"), formula, pay, result.pay))
    return steps


def waterfall_data(result, sheet, cycle, products, composite):
    """The score card's waterfall (a stacked bar with a transparent base): the weighted
    evaluations before deductions, the deductions, rounding, composite, bonus, final."""
    p_s, p_t, p_o = products
    lost_t = cycle.weight_target * sheet.deducted_target / HUNDRED
    lost_o = cycle.weight_org * sheet.deducted_org / HUNDRED
    before = _("（扣分前）") if lost_t + lost_o else ""
    moves = [
        (_("自评×权重"), p_s),
        (_("目标量评×权重") + before, p_t + lost_t),
        (_("组织考评×权重") + before, p_o + lost_o),
    ]
    if lost_t + lost_o:
        moves.append((_("扣分"), -(lost_t + lost_o)))
    rounding = composite - (p_s + p_t + p_o)
    if rounding:
        moves.append((_("舍入"), rounding))
    data = {"categories": [], "base": [], "rise": [], "fall": [], "total": [], "veto": result.veto}
    level = ZERO

    def bar(label, base=None, rise=None, fall=None, total=None):
        data["categories"].append(label)
        for key, value in (("base", base), ("rise", rise), ("fall", fall), ("total", total)):
            data[key].append(number(value) if value is not None else None)

    for label, amount in moves:
        if amount >= 0:
            bar(label, base=level, rise=amount)
        else:
            bar(label, base=level + amount, fall=-amount)
        level += amount
    bar(_("综合得分"), total=composite)
    bar(_("加分"), base=composite, rise=result.bonus)
    bar(_("最终得分（一票否决）") if result.veto else _("最终得分"), total=composite + result.bonus)
    return data


# ------------------------------------------------------------------ the preview


@dataclass
class TiedGroup:
    rank: int
    members: list
    note: str


@dataclass
class GroupPreview:
    key: str
    name: str
    n: int
    quota: int
    top: int
    bottom: int
    quota_formula: str
    top_formula: str
    bottom_formula: str
    candidates: list
    demoted: list
    excellent_tie: TiedGroup | None
    top_tie: TiedGroup | None
    bottom_tie: TiedGroup | None
    vetoed: list
    ungraded: list
    overrides: list
    tiers: list  # (label, planned, assigned, coefficient, pay sum)
    pay_total: Decimal
    pay_expected: Decimal
    warnings: list


def _share_of(n, share):
    return Decimal(n) * share / HUNDRED


def _arithmetic(n, share, rounding):
    """e.g. "32 × 20% = 6.4，向下取整 = 6" (SPEC §3.5 quota and tier sizes)."""
    exact = _share_of(n, share)
    if rounding == "floor":
        return _("%(n)d × %(s)s = %(x)s，向下取整 = %(v)d") % {
            "n": n,
            "s": percent(share),
            "x": number(exact),
            "v": int(exact.to_integral_value(rounding=ROUND_FLOOR)),
        }
    return _("%(n)d × %(s)s = %(x)s，四舍五入 = %(v)d") % {
        "n": n,
        "s": percent(share),
        "x": number(exact),
        "v": round_half_up(exact),
    }


def _straddling(ranked, boundary):
    """The tied group crossing the boundary: rank ≤ boundary < rank − 1 + its size."""
    by_rank = defaultdict(list)
    for row in ranked:
        by_rank[row.rank].append(row)
    for rank, members in sorted(by_rank.items()):
        if rank <= boundary < rank - 1 + len(members):
            return rank, members
    return None


def _ties(cycle, graded, quota, top, cut):
    """The tied groups at the 优秀 cap and at the two tier boundaries."""
    candidates = [r for r in graded if not r.veto and r.final >= cycle.threshold_excellent]
    unvetoed = [r for r in graded if not r.veto]
    ties = []
    for members, boundary, note in (
        (
            candidates,
            quota,
            _("名次 %(r)d 并列 %(t)d 人，占至第 %(last)d 名，超出优秀名额 %(b)d 名：整组改为%(g)s"),
        ),
        (
            unvetoed,
            top,
            _("名次 %(r)d 并列 %(t)d 人，跨越一档界线（第 %(b)d 名）：整组取较优的一档"),
        ),
        (
            unvetoed,
            cut,
            _("名次 %(r)d 并列 %(t)d 人，跨越三档界线（第 %(b)d 名之后）：整组取较优的二档"),
        ),
    ):
        found = _straddling(members, boundary)
        if found is None:
            ties.append(None)
            continue
        rank, tied = found
        values = {
            "r": rank,
            "t": len(tied),
            "last": rank - 1 + len(tied),
            "b": boundary,
            "g": cycle.label_qualified,
        }
        ties.append(TiedGroup(rank, tied, note % values))
    return candidates, ties


def group_preview(cycle, group, rows, town_names):
    """SPEC §3.5 for one ranking group, with the arithmetic written out."""
    n, quota, top, bottom = group["n"], group["quota"], group["top"], group["bottom"]
    key = group.get("key") or ""
    graded = [r for r in rows if r.graded]
    candidates, (excellent_tie, top_tie, bottom_tie) = _ties(cycle, graded, quota, top, n - bottom)
    demoted = [r for r in candidates if r.rule_grade != cycle.label_excellent]
    planned = {TIERS.top: top, TIERS.middle: n - top - bottom, TIERS.bottom: bottom}
    coefficients = tier_coefficients(cycle)
    tiers = []
    for label in (TIERS.top, TIERS.middle, TIERS.bottom):
        members = [r for r in graded if r.tier == label]
        pays = sum((r.pay for r in members if r.pay is not None), ZERO)
        tiers.append((label, planned[label], len(members), coefficients[label], pays))
    pay_total = sum((tier[4] for tier in tiers), ZERO)
    pay_expected = cycle.pay_base * n
    warnings = []
    if demoted:
        warnings.append(
            _("%(t)d 人达到优秀线，但因优秀名额（%(q)d 名）不足改为%(g)s。")
            % {"t": len(demoted), "q": quota, "g": cycle.label_qualified}
        )
    excellent_now = sum(r.grade == cycle.label_excellent for r in graded)
    if excellent_now > quota:
        warnings.append(
            _("等次调整后%(g)s共 %(t)d 人，超过名额 %(q)d 名。")
            % {"g": cycle.label_excellent, "t": excellent_now, "q": quota}
        )
    if not cycle.pay_base:
        warnings.append(_("绩效基数未设置（为 0），绩效报酬均为 0。"))
    elif pay_total != pay_expected:
        warnings.append(
            _("绩效报酬合计 %(total)s，与绩效基数 × 人数 %(expected)s 相差 %(diff)s。")
            % {
                "total": number(pay_total),
                "expected": number(pay_expected),
                "diff": number(pay_total - pay_expected),
            }
        )
    return GroupPreview(
        key=key,
        name=town_names.get(key, key) if key else _("全周期统一排名"),
        n=n,
        quota=quota,
        top=top,
        bottom=bottom,
        quota_formula=_arithmetic(n, cycle.excellent_share, "floor"),
        top_formula=_arithmetic(n, cycle.tier_top_share, "half_up"),
        bottom_formula=_arithmetic(n, cycle.tier_bottom_share, "half_up"),
        candidates=candidates,
        demoted=demoted,
        excellent_tie=excellent_tie,
        top_tie=top_tie,
        bottom_tie=bottom_tie,
        vetoed=[r for r in graded if r.veto],
        ungraded=[r for r in rows if not r.graded],
        overrides=[r for r in rows if r.override_reason],
        tiers=tiers,
        pay_total=pay_total,
        pay_expected=pay_expected,
        warnings=warnings,
    )


@dataclass
class Preview:
    groups: list
    n: int
    pay_total: Decimal
    pay_expected: Decimal
    publication: object  # the CycleTransition that published the cycle, if any


def preview(user, cycle, version):
    """The quota and pay-tier preview of the whole version (a fixed number of queries)."""
    rows = list(
        visible_results(user, version)
        .select_related("participant__secretary", "participant__community__parent")
        .order_by("group", F("rank").asc(nulls_last=True), "participant__secretary__staff_no")
    )
    names = event_type_names(cycle)
    by_group = defaultdict(list)
    for row in rows:
        by_group[row.group].append(decorate(row, names))
    towns = [g.get("key") for g in version.groups if g.get("key")]
    town_names = dict(OrgUnit.objects.filter(code__in=towns).values_list("code", "name"))
    groups = [
        group_preview(cycle, group, by_group.get(group.get("key") or "", []), town_names)
        for group in version.groups
    ]
    # The non-graded of a town where nobody is graded have no group: list them first.
    ranked = {g.key for g in groups}
    stray = [r for key, members in by_group.items() if key not in ranked for r in members]
    if groups and stray:
        groups[0].ungraded.extend(stray)
    publication = (
        cycle.transitions.filter(to_status=CycleStatus.PUBLISHED).select_related("actor").last()
        if cycle.status in (CycleStatus.PUBLISHED, CycleStatus.ARCHIVED)
        else None
    )
    return Preview(
        groups=groups,
        n=version.n,
        pay_total=sum((g.pay_total for g in groups), ZERO),
        pay_expected=sum((g.pay_expected for g in groups), ZERO),
        publication=publication,
    )
