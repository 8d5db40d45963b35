"""The ranking page (排名): the whitelist of sort keys and the filters, the rows of one
result version as the user sees them (`ranking_rows`, a query the page paginates), the
town filter's choices, the counts per grade and tier over everything the user sees
(`ranking_summary`, one aggregate), and the warning panel: who the 优秀 quota demoted
and how many participants carry each kind of warning (`warning_summary`).

The page shows one page of the rows (SPEC §6); the whole table is the Excel export.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, Value, When

from core.collation import pinyin
from org.models import OrgUnit, OrgUnitKind
from scoring import engine
from scoring.results.selectors.common import (
    TIERS,
    decorate,
    event_type_names,
    grade_order,
    split_warning,
    visible_results,
)

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


# The 标记 filter: the across-year flags (SPEC §3.5) and grades an assessor overrode.
FLAG_OVERRIDDEN = "override"
FLAG_FILTERS = {
    "excellent-years": engine.Flag.REPEATED_EXCELLENT,
    "failed-years": engine.Flag.REPEATED_FAILED,
}


@dataclass(frozen=True)
class RankingFilters:
    town: int | None = None
    grade: str = ""
    tier: str = ""
    veto: bool | None = None
    flag: str = ""
    q: str = ""


def _label_order(field_name, labels):
    return Case(
        *(When(**{field_name: label}, then=Value(i)) for i, label in enumerate(labels)),
        default=Value(len(labels)),
        output_field=IntegerField(),
    )


NO_FILTERS = RankingFilters()


def ranking_rows(user, cycle, version, filters=NO_FILTERS, sort="rank"):
    """The rows of the version the user sees, filtered and sorted: a query, for the page
    to paginate and `decorate`. Graded participants come first; the non-graded follow,
    unranked (SPEC §3.5). A town outside the user's scope matches nothing: the rows
    start from the user's scope, a filter only narrows them."""
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
    if filters.flag == FLAG_OVERRIDDEN:
        rows = rows.exclude(override_reason="")
    elif filters.flag in FLAG_FILTERS:
        # A participant carries at most one across-year flag (N equal grades in a row
        # cannot be both 优秀 and 不合格), so it is the list's first item; `contains`
        # on a JSON list is not available on SQLite.
        rows = rows.filter(flags__0=FLAG_FILTERS[filters.flag].value)
    if filters.q:
        rows = rows.filter(
            Q(participant__secretary__name__icontains=filters.q)
            | Q(participant__secretary__staff_no__icontains=filters.q)
            | Q(participant__community__name__icontains=filters.q)
        )
    order = [F("graded").desc()]
    if key == "rank":
        order.append("group")
    # Names in pinyin order, as people look them up (issue 14).
    chosen = pinyin(SORT_FIELDS[key]) if key == "name" else F(SORT_FIELDS[key])
    order.append(chosen.desc(nulls_last=True) if descending else chosen.asc(nulls_last=True))
    order += ["group", F("rank").asc(nulls_last=True), "participant__secretary__staff_no"]
    return rows.order_by(*order)


def decorate_rows(rows, cycle):
    """The page's rows with what the page shows beside each (`decorate`)."""
    names = event_type_names(cycle)
    return [decorate(row, names) for row in rows]


@dataclass(frozen=True)
class RankingSummary:
    """How many of the participants the user sees fall in each grade and tier, and how
    many are vetoed or have an overridden grade: the whole cycle's figures for the
    county's staff, whatever page or filter the table shows."""

    total: int
    graded: int
    grades: list  # (label, n), best first, 不定等次 last
    tiers: list  # (label, n)
    vetoed: int
    overridden: int


def ranking_summary(user, cycle, version):
    """RankingSummary in one aggregate query (SPEC §3.5 grades and tiers)."""
    grades = grade_order(cycle)
    tiers = [TIERS.top, TIERS.middle, TIERS.bottom]
    counts = visible_results(user, version).aggregate(
        total=Count("pk"),
        graded=Count("pk", filter=Q(graded=True)),
        vetoed=Count("pk", filter=Q(veto=True)),
        overridden=Count("pk", filter=~Q(override_reason="")),
        **{f"grade_{i}": Count("pk", filter=Q(grade=label)) for i, label in enumerate(grades)},
        **{f"tier_{i}": Count("pk", filter=Q(tier=label)) for i, label in enumerate(tiers)},
    )
    return RankingSummary(
        total=counts["total"],
        graded=counts["graded"],
        grades=[(label, counts[f"grade_{i}"]) for i, label in enumerate(grades)],
        tiers=[(label, counts[f"tier_{i}"]) for i, label in enumerate(tiers)],
        vetoed=counts["vetoed"],
        overridden=counts["overridden"],
    )


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


def warnings_per_kind(results):
    """{kind: results carrying at least one warning of that kind} (`split_warning`'s
    kind: the text before the first colon, trimmed). On PostgreSQL counted in the
    database — the rows' warning lists are never sent over; elsewhere in Python."""
    if connection.vendor != "postgresql":
        per_kind = Counter()
        for warnings in results.values_list("warnings", flat=True):
            per_kind.update({split_warning(text)[0] for text in warnings})
        return dict(per_kind)
    sql, params = results.order_by().values_list("pk", "warnings").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT btrim(split_part(w.text, ':', 1)), count(DISTINCT r.id)"
            f" FROM ({sql}) AS r (id, warnings),"
            " jsonb_array_elements_text(r.warnings) AS w (text) GROUP BY 1",
            params,
        )
        return dict(cursor.fetchall())


def warning_summary(user, version):
    visible = visible_results(user, version)
    summary = WarningSummary(
        per_kind=sorted(warnings_per_kind(visible).items(), key=lambda kv: (-kv[1], kv[0]))
    )
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
