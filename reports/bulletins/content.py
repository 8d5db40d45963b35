"""What a quarterly bulletin says (SPEC §2 Bulletin, §3.6): built once from the data dated
up to the quarter's end and stored as the version's snapshot (`Bulletin.content`), which
the page, the PDF and the workbook all render.

The snapshot is plain JSON: numbers as text with their two decimals ("78.08"), dates
as ISO text, words as the county reads them. Sections follow the document:
一、总体情况 `overview`; 二、暂定排名 `ranking` (SPEC §3.6: the engine over data up to the
cut-off, marked 暂定); 三、各镇街情况 `towns` (dimension averages, score distribution
beside the county's, the lenient/harsh flag of `reports.bulletins.lean`); 四、重点工作推进
`keytasks`; 五、约谈名单 `summons`; 六、本季度事项 `events`; 七、整改清单 `rectification`;
八、下步工作要求 is the county's own text on the version, not part of the snapshot.

Rows that name a community carry its `community_code`, so the secretaries' reading
(`for_secretary`) keeps only their own community's remarks.
"""

from collections import Counter, defaultdict
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from assessment.models import Participant
from evidence.keytasks import selectors as keytasks
from evidence.keytasks.status import Status
from evidence.models import (
    OPEN_RECTIFICATION_STATUSES,
    Event,
    EventStatus,
    RectificationItem,
)
from indicators.models import IndicatorNode
from reports.bulletins import lean
from scoring import engine
from scoring.inputs import load_inputs
from scoring.models import ScoreEntry, SelfEvaluation, SelfEvaluationStatus, Source
from surveys.inputs import survey_counts
from surveys.models import SurveySettings
from surveys.tallies.selectors import cycle_communities, return_rates

TOP = 10  # the ranking section lists the first and last ten; the annex every one
# Final-score bands of the distribution, from the top; the labels are the county's.
BANDS = (
    (Decimal(90), "90分及以上"),
    (Decimal(80), "80–90分"),
    (Decimal(70), "70–80分"),
    (Decimal(60), "60–70分"),
    (None, "60分以下"),
)
CN_NUMBERS = "一二三四"


def money(value):
    return "" if value is None else f"{Decimal(value):.2f}"


def two(value):
    return "" if value is None else f"{Decimal(value).quantize(Decimal('0.01')):.2f}"


def quarter_span(cycle, number):
    """(starts_on, ends_on) of the cycle's quarter `number`, or None."""
    return cycle.quarters.filter(number=number).values_list("starts_on", "ends_on").first() or None


def title(cycle, number):
    return f"关于{cycle.year}年第{CN_NUMBERS[number - 1]}季度社区党组织书记绩效考核情况的通报"


def build(cycle, number, *, now=None):
    """The snapshot for the cycle's quarter `number` (its span must exist)."""
    starts_on, ends_on = quarter_span(cycle, number)
    participants = {
        p.pk: p
        for p in Participant.objects.filter(cycle=cycle).select_related(
            "secretary", "community__parent"
        )
    }
    outcome = engine.compute(load_inputs(cycle, cutoff=ends_on))
    present = _sources_present(cycle)
    results = list(outcome.participants)
    rows = _ranking_rows(results, participants, _withheld(cycle, ends_on))
    graded = [row for row in rows if row["rank"] is not None]
    return {
        "title": title(cycle, number),
        "county": cycle.county.name,
        "cycle": {"id": cycle.pk, "name": cycle.name, "year": cycle.year},
        "quarter": number,
        "starts_on": starts_on.isoformat(),
        "cutoff": ends_on.isoformat(),
        "made_at": (now or timezone.now()).isoformat(),
        "overview": _overview(cycle, participants, present, starts_on, ends_on),
        "ranking": {
            "rows": rows,
            "top": graded[:TOP],
            "bottom": graded[-TOP:] if len(graded) > TOP else [],
            "graded": len(graded),
            "warnings": [str(w) for w in outcome.warnings],
        },
        "towns": _towns(cycle, results, participants, present),
        "keytasks": _keytasks(cycle, ends_on),
        "summons": _summons(cycle, ends_on),
        "events": _events(cycle, starts_on, ends_on),
        "rectification": _rectification(cycle, ends_on),
    }


# ------------------------------------------------------------------- 一、总体情况


def _sources_present(cycle):
    """{participant id: the sources it has a score of} (one query)."""
    present = defaultdict(set)
    for participant_id, source in (
        ScoreEntry.objects.filter(participant__cycle=cycle)
        .order_by()
        .values_list("participant_id", "source")
        .distinct()
    ):
        present[participant_id].add(source)
    return present


def _overview(cycle, participants, present, starts_on, ends_on):
    evaluations = dict(
        SelfEvaluation.objects.filter(participant__cycle=cycle)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    events = Event.objects.filter(
        participant__cycle=cycle, occurred_on__range=(starts_on, ends_on)
    ).aggregate(
        verified=Count("pk", filter=Q(status=EventStatus.VERIFIED)),
        reported=Count("pk", filter=Q(status=EventStatus.REPORTED)),
        rejected=Count("pk", filter=Q(status=EventStatus.REJECTED)),
    )
    _communities, _towns, county = return_rates(cycle, cycle_communities(cycle))
    n = len(participants)
    return {
        "participants": n,
        "graded": sum(p.is_graded for p in participants.values()),
        "towns": len({p.community.parent_id for p in participants.values()}),
        "scored": [
            {
                "source": str(source.label),
                "participants": sum(source in sources for sources in present.values()),
            }
            for source in (Source.SELF, Source.TARGET, Source.ORG)
        ],
        "self_evaluations": {
            "submitted": evaluations.get(SelfEvaluationStatus.SUBMITTED, 0),
            "draft": evaluations.get(SelfEvaluationStatus.DRAFT, 0),
            "returned": evaluations.get(SelfEvaluationStatus.RETURNED, 0),
            "not_started": n - sum(evaluations.values()),
        },
        "events": events,
        "surveys": {
            "issued": county.issued,
            "used": county.used,
            "rate": two(county.rate) if county.rate is not None else "",
            "paper": county.paper,
        },
    }


# ------------------------------------------------------------------- 二、暂定排名


def _withheld(cycle, cutoff):
    """Communities whose counted ballots up to the cut-off are 1..K−1 (SPEC §3.4): their
    scores contain a rate that would reveal votes, so only county staff read them."""
    k = (
        SurveySettings.objects.filter(cycle=cycle).values_list("min_group_size", flat=True).first()
        or 0
    )
    counted = Counter()
    for (code, _category), (satisfied, basic, unsatisfied, _unknown) in survey_counts(
        cycle, cutoff
    ).items():
        counted[code] += satisfied + basic + unsatisfied
    return {code for code, n in counted.items() if 0 < n < k}


def _ranking_rows(results, participants, withheld):
    rows = []
    for result in results:
        participant = participants[int(result.participant_id)]
        community = participant.community
        rows.append(
            {
                "rank": result.rank,
                "graded": result.graded,
                "staff_no": result.staff_no,
                "name": participant.secretary.name,
                "town": community.parent.name if community.parent else "",
                "community": community.name,
                "community_code": community.code,
                "self": two(result.self_total),
                "target": two(result.target_total),
                "org": two(result.org_total),
                "composite": two(result.composite),
                "bonus": two(result.bonus),
                "final": two(result.final),
                "grade": result.grade,
                "veto": result.veto,
                "tier": result.tier or "",
                "withheld": community.code in withheld,
            }
        )
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["staff_no"]))
    return rows


# ------------------------------------------------------------------- 三、各镇街情况


def _dimensions(cycle):
    """[(code, name)] of the tree's top-level nodes, and {leaf code: dimension code}."""
    nodes = {
        row["pk"]: row
        for row in IndicatorNode.objects.filter(template_id=cycle.frozen_template_id)
        .order_by("sort_key")
        .values("pk", "parent_id", "code", "name")
    }

    def top(pk):
        while nodes[pk]["parent_id"] is not None:
            pk = nodes[pk]["parent_id"]
        return nodes[pk]["code"]

    dimensions = [(n["code"], n["name"]) for n in nodes.values() if n["parent_id"] is None]
    return dimensions, {n["code"]: top(pk) for pk, n in nodes.items()}


def _band(final):
    for floor, label in BANDS:
        if floor is None or final >= floor:
            return label
    return BANDS[-1][1]


def _towns(cycle, results, participants, present):
    dimensions, dimension_of = _dimensions(cycle)
    weights = (cycle.weight_self, cycle.weight_target, cycle.weight_org)
    per_town = defaultdict(list)
    for result in results:
        participant = participants[int(result.participant_id)]
        per_town[participant.community.parent.name if participant.community.parent else ""].append(
            (participant, result)
        )
    both = [p for p in participants if {Source.TARGET, Source.ORG} <= present[p]]
    with_target = [p for p in participants if Source.TARGET in present[p]]
    gap_measure = bool(with_target) and len(both) * 5 >= len(with_target) * 4
    measures = {}
    for town, members in per_town.items():
        values = []
        for participant, result in members:
            if Source.TARGET not in present[participant.pk]:
                continue
            if gap_measure:
                if Source.ORG not in present[participant.pk]:
                    continue
                values.append(float(result.target_total - result.org_total))
            else:
                values.append(float(result.target_total))
        measures[town] = values
    leans = {item.town: item for item in lean.town_leans(measures)}

    def summary(name, members):
        graded = [(p, r) for p, r in members if r.graded]
        sums = defaultdict(Decimal)
        for _participant, result in members:
            for leaf in result.leaves:
                s, t, o = weights
                sums[dimension_of[leaf.code]] += (
                    s * leaf.self_value + t * leaf.target_value + o * leaf.org_value
                ) / 100
        n = len(members) or 1
        bands = Counter(_band(r.final) for _p, r in graded)
        item = lean_of(name)
        return {
            "town": name,
            "n": len(members),
            "self": two(sum((r.self_total for _p, r in members), Decimal(0)) / n),
            "target": two(sum((r.target_total for _p, r in members), Decimal(0)) / n),
            "org": two(sum((r.org_total for _p, r in members), Decimal(0)) / n),
            "final": two(sum((r.final for _p, r in members), Decimal(0)) / n),
            "dimensions": [two(sums[code] / n) for code, _name in dimensions],
            "bands": [bands.get(label, 0) for _floor, label in BANDS],
            "graded": len(graded),
            "lean": item,
        }

    def lean_of(name):
        item = leans.get(name)
        if item is None:
            return None
        return {
            "n": item.n,
            "mean": f"{item.mean:.2f}",
            "rest_mean": f"{item.rest_mean:.2f}",
            "z": None if item.z is None else _z_text(item.z),
            "verdict": item.verdict,
        }

    towns = [summary(name, members) for name, members in sorted(per_town.items())]
    county = summary(cycle.county.name, [m for members in per_town.values() for m in members])
    county["lean"] = None
    return {
        "dimensions": [name for _code, name in dimensions],
        "bands": [label for _floor, label in BANDS],
        "rows": towns,
        "county": county,
        "measure": "gap" if gap_measure else "target",
        "threshold": f"{lean.THRESHOLD:.0f}",
        "min_town": lean.MIN_TOWN,
    }


def _z_text(z):
    if z == float("inf"):
        return "+∞"
    if z == float("-inf"):
        return "−∞"
    return f"{z:+.2f}"


# ------------------------------------------------------------- 四、重点工作 五、约谈


def _keytasks(cycle, on):
    board = keytasks.board_of(cycle, keytasks.county_assignments(cycle), on)
    lagging, overdue = [], []
    for community, cells in board.rows:
        for state in cells:
            if state is None or state.status not in (Status.BEHIND, Status.OVERDUE):
                continue
            row = {
                "town": community.parent.name if community.parent else "",
                "community": community.name,
                "community_code": community.code,
                "task": state.assignment.task.title,
                "deadline": state.assignment.task.deadline.isoformat(),
                "progress": state.progress,
                "status": str(state.label),
            }
            (overdue if state.status == Status.OVERDUE else lagging).append(row)
    return {
        "tasks": len(board.tasks),
        "counts": [
            {"status": str(label), "n": board.counts.get(status, 0)}
            for status, label in keytasks.STATUS_LABELS.items()
        ],
        "lagging": lagging,
        "overdue": overdue,
    }


def _summons(cycle, on):
    rows = []
    for row in keytasks.summons_of(cycle, keytasks.county_assignments(cycle), on):
        community = row.state.assignment.community
        rows.append(
            {
                "town": community.parent.name if community.parent else "",
                "community": community.name,
                "community_code": community.code,
                "secretary": row.secretary.name if row.secretary else "",
                "task": row.state.assignment.task.title,
                "deadline": row.state.assignment.task.deadline.isoformat(),
                "days_overdue": row.state.days_overdue,
            }
        )
    return rows


# ------------------------------------------------------------------- 六、本季度事项


def _events(cycle, starts_on, ends_on):
    rows = []
    events = (
        Event.objects.filter(
            participant__cycle=cycle,
            status=EventStatus.VERIFIED,
            exempt=False,
            occurred_on__range=(starts_on, ends_on),
        )
        .select_related("event_type", "participant__secretary", "participant__community__parent")
        .order_by("occurred_on", "pk")
    )
    for event in events:
        community = event.participant.community
        kind = (
            "否决"
            if event.event_type.is_veto
            else ("加分" if event.event_type.points > 0 else "扣分")
        )
        rows.append(
            {
                "on": event.occurred_on.isoformat(),
                "kind": kind,
                "type": event.event_type.name,
                "points": two(event.event_type.points),
                "name": event.participant.secretary.name,
                "town": community.parent.name if community.parent else "",
                "community": community.name,
                "community_code": community.code,
                "description": event.description,
            }
        )
    return rows


# ------------------------------------------------------------------- 七、整改清单


def _rectification(cycle, on):
    """Items open at the end of the day `on`: made by then, not closed by then."""
    end = timezone.make_aware(datetime.combine(on, time.max))
    items = (
        RectificationItem.objects.filter(cycle=cycle, created_at__lte=end)
        .filter(
            Q(status__in=OPEN_RECTIFICATION_STATUSES) | Q(closed_at__gt=end),
        )
        .select_related("community__parent")
        .order_by("deadline", "pk")
    )
    rows = []
    for item in items:
        community = item.community
        rows.append(
            {
                "town": community.parent.name if community.parent else "",
                "community": community.name,
                "community_code": community.code,
                "problem": item.problem,
                "owner": item.owner,
                "deadline": item.deadline.isoformat(),
                "overdue": item.deadline < on,
            }
        )
    return {"open": rows, "overdue": sum(row["overdue"] for row in rows)}


# ------------------------------------------------------------------- readings


def for_secretary(content, community_code):
    """The secretaries' reading: the county's figures and the ranking stay, but of the
    remarks about communities (key tasks behind, 约谈, events, 整改) only their own
    community's; a score withheld for a small survey sample is blank (SPEC §3.4)."""
    own = dict(content)

    def mine(rows):
        return [row for row in rows if row.get("community_code") == community_code]

    def masked(rows):
        return [
            (
                {**row, **dict.fromkeys(WITHHELD_KEYS, "")}
                if row.get("withheld") and row.get("community_code") != community_code
                else row
            )
            for row in rows
        ]

    ranking = dict(content["ranking"])
    for key in ("rows", "top", "bottom"):
        ranking[key] = masked(ranking[key])
    own["ranking"] = ranking
    own["keytasks"] = {
        **content["keytasks"],
        "lagging": mine(content["keytasks"]["lagging"]),
        "overdue": mine(content["keytasks"]["overdue"]),
    }
    own["summons"] = mine(content["summons"])
    own["events"] = mine(content["events"])
    open_items = mine(content["rectification"]["open"])
    own["rectification"] = {
        "open": open_items,
        "overdue": sum(row["overdue"] for row in open_items),
    }
    own["reading"] = "secretary"
    return own


WITHHELD_KEYS = ("self", "target", "org", "composite", "bonus", "final", "grade", "tier", "rank")
