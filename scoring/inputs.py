"""A cycle's scoring inputs, read from the database for the engine (DESIGN §3).

`load_inputs` issues a fixed number of queries whatever the cycle's size (`values_list`,
nothing per participant), and turns the rows into the engine's frozen dataclasses.
Evidence that other apps keep (verified events, metric values, survey counts) comes in
through `register_input_source`: each source takes the cycle, the cut-off date and a
`Subset` (or None: everyone) and returns an `InputContribution`.

An incremental recompute loads the inputs of a `Subset` only — the participants whose
inputs changed — and every participant without their scores (`load_participants`), to
rank them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum

from assessment.models import Cycle, CycleStatus
from indicators.models import EventType, IndicatorNode, SurveyCategory
from scoring import engine
from scoring.models import GradeOverride, Result, ScoreEntry


@dataclass(frozen=True)
class InputContribution:
    metrics: tuple[engine.Metric, ...] = ()
    events: tuple[engine.Event, ...] = ()
    survey_counts: tuple[engine.SurveyCount, ...] = ()


@dataclass(frozen=True)
class Subset:
    """Some of a cycle's participants (ids) and their communities (ids and codes): an
    input source given one returns what concerns them, and may return more."""

    participants: frozenset[int]
    communities: frozenset[int]
    community_codes: frozenset[str]


INPUT_SOURCES = []


def register_input_source(source):
    """Add a loader of evidence: `source(cycle, cutoff, only) -> InputContribution`,
    `only` a `Subset` or None (everyone)."""
    if source not in INPUT_SOURCES:
        INPUT_SOURCES.append(source)
    return source


def cycle_settings(cycle: Cycle) -> engine.Settings:
    """The cycle's SPEC §3 settings as the engine takes them."""
    return engine.Settings(
        weight_self=cycle.weight_self,
        weight_target=cycle.weight_target,
        weight_org=cycle.weight_org,
        bonus_cap=cycle.bonus_cap,
        excellent_line=cycle.threshold_excellent,
        qualified_line=cycle.threshold_qualified,
        basic_line=cycle.threshold_basic,
        excellent_share=cycle.excellent_share,
        top_share=cycle.tier_top_share,
        bottom_share=cycle.tier_bottom_share,
        top_coefficient=cycle.coefficient_top,
        middle_coefficient=cycle.coefficient_middle,
        bottom_coefficient=cycle.coefficient_bottom,
        pay_base=cycle.pay_base,
        trim_min_raters=cycle.trim_threshold,
        ranking_group=engine.RankingGroup(cycle.ranking_group),
        grade_labels=engine.GradeLabels(*cycle.grade_labels),
        survey_values=engine.SurveyChoiceValues(
            cycle.value_satisfied, cycle.value_basic, cycle.value_unsatisfied
        ),
        consecutive_years=cycle.consecutive_years,
    )


def _nodes(template_id):
    rows = IndicatorNode.objects.filter(template_id=template_id).values_list(
        "code", "parent__code", "points", "method", "metric_key", "target_value", "bands"
    )
    return tuple(
        engine.IndicatorNode(
            code=code,
            parent_code=parent,
            points=points,
            method=engine.Method(method) if method else None,
            metric_key=metric_key or None,
            target=target,
            bands=tuple((Decimal(str(t)), Decimal(str(v))) for t, v in (bands or [])),
        )
        for code, parent, points, method, metric_key, target, bands in rows
    )


def _previous_grades(cycle, secretary_ids):
    """Final grades of earlier published cycles of the same county, oldest first."""
    rows = (
        Result.objects.filter(
            version__is_current=True,
            version__cycle__county_id=cycle.county_id,
            version__cycle__year__lt=cycle.year,
            version__cycle__status__in=(CycleStatus.PUBLISHED, CycleStatus.ARCHIVED),
            participant__secretary_id__in=secretary_ids,
        )
        .order_by("version__cycle__year")
        .values_list("participant__secretary_id", "grade")
    )
    grades = {}
    for secretary_id, grade in rows:
        grades.setdefault(secretary_id, []).append(grade)
    return grades


def _stats_columns(source):
    """count, sum, min and max of one source's values (SQL `FILTER`)."""
    only = Q(source=source)
    return {
        f"{source}_n": Count("pk", filter=only),
        f"{source}_total": Sum("value", filter=only),
        f"{source}_low": Min("value", filter=only),
        f"{source}_high": Max("value", filter=only),
    }


def _scores(cycle, leaf_codes, only):
    """The raters' values summed up in the database, one row per participant and leaf
    (SPEC §3.2: count, sum, lowest and highest per source are all the trimmed mean
    needs), rather than every entry: a city's million entries stay in PostgreSQL."""
    columns = {}
    for source in engine.Source:
        columns.update(_stats_columns(source.value))
    entries = ScoreEntry.objects.filter(participant__cycle=cycle)
    if only is not None:
        entries = ScoreEntry.objects.filter(participant_id__in=only.participants)
    rows = (
        entries.order_by()
        .values("participant_id", "leaf_id")
        .annotate(**columns)
        .values_list("participant_id", "leaf_id", *columns)
    )
    if connection.vendor == "postgresql":
        # Straight from the cursor: PostgreSQL's numerics arrive as exact Decimals, and
        # the ORM's per-value converters would cost a second per city recompute. (SQLite
        # keeps decimals as floats: there the converters make them Decimals again.)
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return tuple(
        engine.LeafScores(
            str(pid),
            leaf_codes[leaf_id],
            engine.RaterStats(sn, st, sl, sh) if sn else None,
            engine.RaterStats(tn, tt, tl, th) if tn else None,
            engine.RaterStats(on, ot, ol, oh) if on else None,
        )
        for pid, leaf_id, sn, st, sl, sh, tn, tt, tl, th, on, ot, ol, oh in rows
    )


@dataclass(frozen=True)
class Enrolled:
    """A cycle's participants as the engine takes them, and where they are."""

    participants: tuple[engine.Participant, ...]
    community_of: dict[str, tuple[int, str]]  # participant id → community id, code

    def subset(self, ids) -> Subset:
        places = [self.community_of[pid] for pid in ids]
        return Subset(
            participants=frozenset(int(pid) for pid in ids),
            communities=frozenset(pk for pk, _code in places),
            community_codes=frozenset(code for _pk, code in places),
        )


def load_participants(cycle: Cycle) -> Enrolled:
    """Every participant of the cycle, with their earlier grades (two queries)."""
    rows = list(
        cycle.participants.order_by().values_list(
            "pk",
            "secretary_id",
            "secretary__staff_no",
            "community_id",
            "community__code",
            "community__parent__code",
            "is_graded",
        )
    )
    previous = _previous_grades(cycle, [row[1] for row in rows])
    participants = tuple(
        engine.Participant(
            id=str(pk),
            staff_no=staff_no,
            community=community,
            town=town or "",
            graded=graded,
            previous_grades=tuple(previous.get(secretary_id, ())),
        )
        for pk, secretary_id, staff_no, _community_id, community, town, graded in rows
    )
    return Enrolled(
        participants=participants,
        community_of={str(row[0]): (row[3], row[4]) for row in rows},
    )


def load_inputs(
    cycle: Cycle,
    cutoff: date | None = None,
    *,
    enrolled: Enrolled | None = None,
    only: Subset | None = None,
) -> engine.CycleInputs:
    """Everything the engine needs for one cycle, in a fixed number of queries; with
    `only`, the inputs of those participants only (and they are the inputs'
    participants). `enrolled` saves reading the participants again."""
    template_id = cycle.frozen_template_id
    enrolled = enrolled if enrolled is not None else load_participants(cycle)
    participants = enrolled.participants
    if only is not None:
        participants = tuple(p for p in participants if int(p.id) in only.participants)
    leaf_codes = dict(
        IndicatorNode.objects.filter(template_id=template_id).values_list("pk", "code")
    )
    event_types = tuple(
        engine.EventType(code, points, leaf, cap, veto)
        for code, points, leaf, cap, veto in EventType.objects.filter(
            template_id=template_id
        ).values_list("code", "points", "leaf__code", "cap", "is_veto")
    )
    categories = tuple(
        engine.SurveyCategory(name, weight)
        for name, weight in SurveyCategory.objects.filter(template_id=template_id).values_list(
            "name", "weight"
        )
    )
    metrics, events, counts = [], [], []
    for source in INPUT_SOURCES:
        part = source(cycle, cutoff, only)
        metrics.extend(part.metrics)
        events.extend(part.events)
        counts.extend(part.survey_counts)
    return engine.CycleInputs(
        nodes=_nodes(template_id),
        participants=participants,
        settings=cycle_settings(cycle),
        scores=_scores(cycle, leaf_codes, only),
        metrics=tuple(metrics),
        event_types=event_types,
        events=tuple(events),
        survey_counts=tuple(counts),
        survey_categories=categories,
        grade_overrides=grade_overrides(cycle),
        cutoff=cutoff,
    )


def grade_overrides(cycle):
    return tuple(
        engine.GradeOverride(str(pid), grade, reason)
        for pid, grade, reason in GradeOverride.objects.filter(
            participant__cycle=cycle
        ).values_list("participant_id", "grade", "reason")
    )


@dataclass(frozen=True)
class SmallSample:
    """A community whose democratic appraisal has too few counted ballots to be valid or
    shown (SPEC §2 民主评议; issue 14): `counted` online + paper ballots, fewer than `k`."""

    counted: int
    k: int


# Loaders of small survey samples (the surveys app): each takes the cycle and community
# ids (None: all) and returns {community id: SmallSample}.
SAMPLE_SOURCES = []


def register_sample_source(source):
    if source not in SAMPLE_SOURCES:
        SAMPLE_SOURCES.append(source)
    return source


def small_samples(cycle, communities=None):
    """{community id: SmallSample} over every registered source."""
    found = {}
    for source in SAMPLE_SOURCES:
        found.update(source(cycle, communities))
    return found
