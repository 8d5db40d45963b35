"""The quota and pay-tier preview (名额与档次预览) of a whole result version (`preview`):
per ranking group the SPEC §3.5 quota and tier arithmetic written out, the 优秀 candidates
and those the quota demoted, the tied groups at each boundary, the vetoed, non-graded and
overridden participants, and the pay totals checked against 绩效基数 × 人数.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from assessment.models import CycleStatus
from org.models import OrgUnit
from scoring.engine import HUNDRED, ZERO, round_half_up
from scoring.results.selectors.common import (
    TIERS,
    decorate,
    event_type_names,
    number,
    percent,
    tier_coefficients,
    visible_results,
)


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
            _("%(t)d 人达到%(e)s线，但因%(e)s名额（%(q)d 名）不足改为%(g)s。")
            % {
                "t": len(demoted),
                "q": quota,
                "e": cycle.label_excellent,
                "g": cycle.label_qualified,
            }
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
