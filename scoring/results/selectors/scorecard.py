"""The score card (计分卡): SPEC §3.2–§3.5 re-derived step by step from one stored result
and its sheet (`score_card`), each step compared with what the engine stored — totals,
weights, composite, bonus, veto, grade by line and by quota, rank, tier, coefficient and
pay — and the waterfall chart's data; with the ranking group and tie helpers it needs.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.numbers import money
from scoring import engine
from scoring.engine import HUNDRED, ZERO, round2
from scoring.models import Result
from scoring.results.selectors.common import (
    TIERS,
    describe_vetoes,
    event_type_names,
    number,
    percent,
    tier_coefficients,
)


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


def score_card(result, cycle, version, sheet, tied, note=None):
    """SPEC §3.2–§3.5 step by step for one stored result: (steps, waterfall data).
    `note` is the result's `RankNote` (ties and the quota in words)."""
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
            _("%(raw)s 四舍五入保留两位小数") % {"raw": number(raw)},
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
    steps.extend(_grade_steps(result, cycle, version, final, tied, note))
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


def _grade_steps(result, cycle, version, final, tied, note):
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
    quota = _quota_step(result, cycle, group, by_line, tied)
    if note and note.quota:
        quota.formula += _("。") + note.quota
    steps = [Step(_("按分数线"), lines, by_line), quota]
    if result.override_reason:
        how = _("%(rule)s → %(grade)s，理由：%(reason)s") % {
            "rule": result.rule_grade,
            "grade": result.grade,
            "reason": result.override_reason,
        }
        steps.append(Step(_("等次调整"), how, result.grade))
    n, top, bottom, rank = group["n"], group["top"], group["bottom"], result.rank or 0
    rule = _(
        "排名范围内参加评定 %(n)d 人：未被否决者在前，按最终得分从高到低；最终得分相同的，"
        "依次比较目标量评（高者在前）、组织考评（高者在前）、实扣分（少者在前），"
        "仍都相同的名次并列"
    ) % {"n": n}
    if note and note.tie:
        rule += _("。本人：") + note.tie
    steps.append(Step(_("排名"), rule, f"{rank} / {n}"))
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
    formula = _("绩效基数 %(base)s 元 × 系数 %(c)s，四舍五入保留两位小数") % {
        "base": number(cycle.pay_base),
        "c": number(coefficient),
    }
    paid = _compared(_("绩效报酬"), formula, pay, result.pay)
    paid.value = money(pay)
    paid.stored = money(result.pay) if paid.stored else ""
    steps.append(paid)
    return steps


def waterfall_data(result, sheet, cycle, products, composite):
    """The score card's waterfall (a stacked bar with a transparent base): the weighted
    evaluations before deductions, the deductions, the rounding to two decimals as its own
    step, composite, bonus, final. `labels` are the bars' texts, every digit shown, so
    that what a reader adds up by hand equals the stored result (8.796 + 45.34 + 23.947
    − 0.003 = 78.08)."""
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
        moves.append((_("四舍五入"), rounding))
    data = {
        "categories": [],
        "base": [],
        "rise": [],
        "fall": [],
        "total": [],
        "labels": [],
        "veto": result.veto,
    }
    level = ZERO

    def bar(label, amount, base=None, rise=None, fall=None, total=None):
        data["categories"].append(label)
        for key, value in (("base", base), ("rise", rise), ("fall", fall), ("total", total)):
            data[key].append(number(value) if value is not None else None)
        sign = "−" if amount < 0 else ("+" if rise is not None and level else "")
        data["labels"].append(sign + number(abs(amount)))

    for label, amount in moves:
        if amount >= 0:
            bar(label, amount, base=level, rise=amount)
        else:
            bar(label, amount, base=level + amount, fall=-amount)
        level += amount
    bar(_("综合得分"), composite, total=composite)
    bar(_("加分"), result.bonus, base=composite, rise=result.bonus)
    final = _("最终得分（一票否决）") if result.veto else _("最终得分")
    bar(final, composite + result.bonus, total=composite + result.bonus)
    return data
