"""The quota and pay-tier preview (名额与档次预览) of a result version (`preview`): per
ranking group the SPEC §3.5 quota and tier arithmetic written out, the 优秀 candidates
and those the quota demoted, the tied groups at each boundary, the vetoed, non-graded and
overridden participants, and the pay totals checked against 绩效基数 × 人数.

The page reads as much for a city as for a county (SPEC §6): every count and sum is an
aggregate in the database, the pages list at most `LISTED` people per list (the count
says how many there are; the ranking's filters and the Excel export have them all), and
a cycle ranked per town shows a page of towns at a time.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Count, F, Max, Q, Sum, Window
from django.db.models.functions import RowNumber
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

# Names listed per list of a group (candidates, demoted, a tied group, …); beyond them
# the page gives the count.
LISTED = 20
# A cycle ranked per town shows this many towns per page (the whole cycle is one group).
GROUP_PAGE_SIZES = (10, 30, 100)


@dataclass
class TiedGroup:
    rank: int
    members: list  # the first LISTED of the group, by 工号
    size: int
    note: str

    @property
    def more(self):
        """Members not listed."""
        return self.size - len(self.members)


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
    candidates: list  # each list: its first LISTED people; `counts` says how many
    demoted: list
    excellent_tie: TiedGroup | None
    top_tie: TiedGroup | None
    bottom_tie: TiedGroup | None
    vetoed: list
    ungraded: list
    overrides: list
    counts: dict  # candidates, demoted, vetoed, ungraded, overrides: how many in all
    tiers: list  # (label, planned, assigned, coefficient, pay sum)
    pay_total: Decimal
    pay_expected: Decimal
    warnings: list

    @property
    def more(self):
        """{list name: how many of it are not listed}."""
        return {name: n - len(getattr(self, name)) for name, n in self.counts.items()}


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


def _excellent_candidate(cycle):
    """Graded, not vetoed, final at or above the 优秀 line (SPEC §3.5)."""
    return Q(graded=True, veto=False, final__gte=cycle.threshold_excellent)


def _group_counts(cycle, results):
    """{group key: counts and sums} over every group (one aggregate query)."""
    candidate = _excellent_candidate(cycle)
    tiers = {
        f"tier_{i}": Count("pk", filter=Q(graded=True, tier=label))
        for i, label in enumerate((TIERS.top, TIERS.middle, TIERS.bottom))
    }
    pays = {
        f"pay_{i}": Sum("pay", filter=Q(graded=True, tier=label))
        for i, label in enumerate((TIERS.top, TIERS.middle, TIERS.bottom))
    }
    rows = (
        results.order_by()
        .values("group")
        .annotate(
            candidates=Count("pk", filter=candidate),
            demoted=Count("pk", filter=candidate & ~Q(rule_grade=cycle.label_excellent)),
            excellent=Count("pk", filter=Q(graded=True, grade=cycle.label_excellent)),
            vetoed=Count("pk", filter=Q(graded=True, veto=True)),
            ungraded=Count("pk", filter=Q(graded=False)),
            overrides=Count("pk", filter=~Q(override_reason="")),
            **tiers,
            **pays,
        )
    )
    return {row["group"]: row for row in rows}


# The three boundaries of SPEC §3.5 where a tied group may straddle: the 优秀 cap among
# the candidates, and the 一档 / 三档 lines among the graded not vetoed.
BOUNDARIES = ("excellent", "top", "bottom")


def _boundary(group, kind):
    n, quota, top, bottom = group["n"], group["quota"], group["top"], group["bottom"]
    return {"excellent": quota, "top": top, "bottom": n - bottom}[kind]


def _tie_ranks(cycle, results, groups):
    """{(group key, boundary kind): (rank, size)} of the tied groups straddling a boundary
    (one aggregate query for the listed groups).

    Ranks are competition ranks (1, 2, 2, 4) and the not-vetoed come first, as do the
    candidates among them, so the rows ranked at or above a boundary b number more than
    b exactly when the last tied group above it reaches past it; that group is the one
    at the highest rank ≤ b, and reaches to rank − 1 + its size."""
    base = {
        "excellent": _excellent_candidate(cycle),
        "top": Q(graded=True, veto=False),
        "bottom": Q(graded=True, veto=False),
    }
    aggregates = {}
    for kind in BOUNDARIES:
        within = Q()
        for group in groups:
            within |= Q(group=group.get("key") or "", rank__lte=_boundary(group, kind))
        aggregates[f"{kind}_upto"] = Count("pk", filter=base[kind] & within)
        aggregates[f"{kind}_last"] = Max("rank", filter=base[kind] & within)
    keys = [group.get("key") or "" for group in groups]
    rows = {
        row["group"]: row
        for row in results.filter(group__in=keys).order_by().values("group").annotate(**aggregates)
    }
    ties = {}
    for group in groups:
        key = group.get("key") or ""
        row = rows.get(key)
        for kind in BOUNDARIES:
            boundary = _boundary(group, kind)
            if row is None or row[f"{kind}_upto"] <= boundary:
                continue
            rank = row[f"{kind}_last"]
            ties[key, kind] = (rank, row[f"{kind}_upto"] - (rank - 1))
    return ties


def _first_of_each(results, condition, partition, order):
    """The rows meeting `condition`, at most LISTED per partition (one query)."""
    numbered = results.filter(condition).annotate(
        place=Window(RowNumber(), partition_by=partition, order_by=order)
    )
    return numbered.filter(place__lte=LISTED).order_by(*partition, *order)


BY_RANK = [F("rank").asc(nulls_last=True), "participant__secretary__staff_no"]


def _listed(cycle, results, keys, ties):
    """{list name: {group key: [rows]}}: the people each list of the listed groups names,
    at most LISTED per list (a fixed number of queries, whatever the groups)."""
    names = event_type_names(cycle)
    rows = results.filter(group__in=keys).select_related(
        "participant__secretary", "participant__community__parent"
    )
    candidate = _excellent_candidate(cycle)
    conditions = {
        "candidates": candidate,
        "demoted": candidate & ~Q(rule_grade=cycle.label_excellent),
        "vetoed": Q(graded=True, veto=True),
        "ungraded": Q(graded=False),
        "overrides": ~Q(override_reason=""),
    }
    found = {}
    for name, condition in conditions.items():
        by_group = found[name] = {}
        for row in _first_of_each(rows, condition, [F("group")], BY_RANK):
            by_group.setdefault(row.group, []).append(decorate(row, names))
    tied = {}
    if ties:
        at = Q()
        for (key, _kind), (rank, _size) in ties.items():
            at |= Q(group=key, rank=rank)
        order = ["participant__secretary__staff_no"]
        for row in _first_of_each(rows, at, [F("group"), F("rank")], order):
            tied.setdefault((row.group, row.rank), []).append(row)
    found["ties"] = tied
    return found


def _tie_note(kind):
    if kind == "excellent":
        return _(
            "名次 %(r)d 并列 %(t)d 人，占至第 %(last)d 名，超出优秀名额 %(b)d 名：整组改为%(g)s"
        )
    if kind == "top":
        return _("名次 %(r)d 并列 %(t)d 人，跨越一档界线（第 %(b)d 名）：整组取较优的一档")
    return _("名次 %(r)d 并列 %(t)d 人，跨越三档界线（第 %(b)d 名之后）：整组取较优的二档")


def _tie(cycle, group, kind, ties, members):
    key = group.get("key") or ""
    if (key, kind) not in ties:
        return None
    rank, size = ties[key, kind]
    values = {
        "r": rank,
        "t": size,
        "last": rank - 1 + size,
        "b": _boundary(group, kind),
        "g": cycle.label_qualified,
    }
    return TiedGroup(rank, members.get((key, rank), []), size, _tie_note(kind) % values)


def group_preview(cycle, group, counts, listed, ties, town_names):
    """SPEC §3.5 for one ranking group, with the arithmetic written out; `counts` is the
    group's row of `_group_counts`, `listed` and `ties` what `_listed` and `_tie_ranks`
    found."""
    n, quota, top, bottom = group["n"], group["quota"], group["top"], group["bottom"]
    key = group.get("key") or ""
    planned = {TIERS.top: top, TIERS.middle: n - top - bottom, TIERS.bottom: bottom}
    coefficients = tier_coefficients(cycle)
    tiers = [
        (
            label,
            planned[label],
            counts.get(f"tier_{i}", 0),
            coefficients[label],
            counts.get(f"pay_{i}") or ZERO,
        )
        for i, label in enumerate((TIERS.top, TIERS.middle, TIERS.bottom))
    ]
    pay_total = sum((tier[4] for tier in tiers), ZERO)
    pay_expected = cycle.pay_base * n
    demoted = counts.get("demoted", 0)
    warnings = []
    if demoted:
        warnings.append(
            _("%(t)d 人达到%(e)s线，但因%(e)s名额（%(q)d 名）不足改为%(g)s。")
            % {
                "t": demoted,
                "q": quota,
                "e": cycle.label_excellent,
                "g": cycle.label_qualified,
            }
        )
    excellent_now = counts.get("excellent", 0)
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
    lists = ("candidates", "demoted", "vetoed", "ungraded", "overrides")
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
        candidates=listed["candidates"].get(key, []),
        demoted=listed["demoted"].get(key, []),
        excellent_tie=_tie(cycle, group, "excellent", ties, listed["ties"]),
        top_tie=_tie(cycle, group, "top", ties, listed["ties"]),
        bottom_tie=_tie(cycle, group, "bottom", ties, listed["ties"]),
        vetoed=listed["vetoed"].get(key, []),
        ungraded=listed["ungraded"].get(key, []),
        overrides=listed["overrides"].get(key, []),
        counts={name: counts.get(name, 0) for name in lists},
        tiers=tiers,
        pay_total=pay_total,
        pay_expected=pay_expected,
        warnings=warnings,
    )


@dataclass
class Preview:
    groups: list  # the GroupPreview of the groups asked for (a page of them)
    n: int
    pay_total: Decimal
    pay_expected: Decimal
    publication: object  # the CycleTransition that published the cycle, if any


def preview(user, cycle, version, groups=None):
    """The quota and pay-tier preview: the totals over the whole version, and the
    GroupPreview of `groups` (some of `version.groups`; all of them by default) — a
    fixed number of queries whatever the number of participants and groups."""
    groups = version.groups if groups is None else list(groups)
    results = visible_results(user, version)
    counts = _group_counts(cycle, results)
    keys = [group.get("key") or "" for group in groups]
    # The non-graded of a town where nobody is graded have no group: the first group
    # of the version lists them.
    ranked = {group.get("key") or "" for group in version.groups}
    stray = [key for key in counts if key not in ranked]
    first = bool(groups) and groups[0] is version.groups[0]
    ties = _tie_ranks(cycle, results, groups) if groups else {}
    listed = _listed(cycle, results, keys + (stray if first else []), ties)
    town_names = dict(
        OrgUnit.objects.filter(code__in=[key for key in keys if key]).values_list("code", "name")
    )
    previews = [
        group_preview(cycle, group, counts.get(key, {}), listed, ties, town_names)
        for group, key in zip(groups, keys, strict=True)
    ]
    if first and stray:
        head = previews[0]
        for key in stray:
            head.ungraded.extend(listed["ungraded"].get(key, []))
            head.counts["ungraded"] += counts[key]["ungraded"]
        del head.ungraded[LISTED:]
    pay_total = sum((row[f"pay_{i}"] or ZERO for row in counts.values() for i in range(3)), ZERO)
    publication = (
        cycle.transitions.filter(to_status=CycleStatus.PUBLISHED).select_related("actor").last()
        if cycle.status in (CycleStatus.PUBLISHED, CycleStatus.ARCHIVED)
        else None
    )
    return Preview(
        groups=previews,
        n=version.n,
        pay_total=pay_total,
        pay_expected=cycle.pay_base * sum(group["n"] for group in version.groups),
        publication=publication,
    )
