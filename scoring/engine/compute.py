"""One cycle: score each participant, then rank, grade and tier each ranking group
(SPEC §3.2–§3.6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext
from itertools import chain

from scoring.engine.rules import (
    SurveyRate,
    bands_value,
    bonus_total,
    deduction_total,
    satisfaction_rate,
    summarise,
    target_value,
    trimmed_mean,
)
from scoring.engine.types import (
    AUTOMATIC_METHODS,
    EXACT_CONTEXT,
    HUNDRED,
    MISSING_ORG,
    MISSING_SELF,
    MISSING_TARGET,
    ZERO,
    CycleInputs,
    CycleResult,
    Event,
    EventType,
    Flag,
    GradeOverride,
    GroupResult,
    IndicatorNode,
    LeafScores,
    LeafValue,
    Method,
    Participant,
    ParticipantResult,
    RankingGroup,
    RaterStats,
    Scored,
    Settings,
    Source,
    SurveyCount,
    round2,
    round_half_up,
)


def _leaves(nodes: tuple[IndicatorNode, ...]) -> tuple[IndicatorNode, ...]:
    parents = {node.parent_code for node in nodes}
    leaves = tuple(sorted((n for n in nodes if n.code not in parents), key=_code_key))
    for leaf in leaves:
        if leaf.method is None:
            raise ValueError(f"leaf {leaf.code} has no method")
    return leaves


def _code_key(node: IndicatorNode) -> tuple:
    # 1.10 sorts after 1.9, as a reader of the score sheet expects.
    return tuple(int(p) if p.isdigit() else p for p in node.code.split("."))


def _counted(event: Event, cutoff: date | None) -> bool:
    """SPEC §2/§3.3/§3.6: verified, not exempt, and dated within the cut-off if any."""
    if not event.verified or event.exempt:
        return False
    return cutoff is None or (event.on is not None and event.on <= cutoff)


def _score_participant(
    participant: Participant,
    leaves: tuple[IndicatorNode, ...],
    inputs: CycleInputs,
    scores: Mapping[str, LeafScores],
    metrics: Mapping[tuple[str, str], Decimal],
    events: list[Event],
    types: Mapping[str, EventType],
    survey: SurveyRate,
) -> Scored:
    s = inputs.settings
    warnings: list[str] = []
    missing: dict[Source, list[str]] = defaultdict(list)
    charged: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        leaf_code = types[event.type_code].leaf_code
        if types[event.type_code].points < 0 and leaf_code is not None:
            charged[leaf_code].append(event)

    values: list[LeafValue] = []
    taken = ZERO
    for leaf in leaves:
        method = leaf.method
        assert method is not None
        found = scores.get(leaf.code, NOBODY)
        self_mean = _source_mean(found.self, found, leaf, s.trim_min_raters)
        org_mean = _source_mean(found.org, found, leaf, s.trim_min_raters)
        if self_mean is None:
            missing[Source.SELF].append(leaf.code)
        self_value = round2(self_mean if self_mean is not None else ZERO)

        overridden = False
        basis = None
        if method is Method.RATING:
            t_mean = _source_mean(found.target, found, leaf, s.trim_min_raters)
            o_mean = org_mean
            if t_mean is None:
                missing[Source.TARGET].append(leaf.code)
            if o_mean is None:
                missing[Source.ORG].append(leaf.code)
            t_value = round2(t_mean if t_mean is not None else ZERO)
            o_value = round2(o_mean if o_mean is not None else ZERO)
        else:
            computed, basis = _automatic(
                leaf, participant, metrics, charged, types, survey, warnings
            )
            t_value = round2(computed)
            if method is Method.DEDUCTION:
                # SPEC §3.5: points actually taken, after type caps and the floor at 0.
                taken += leaf.points - t_value
            # An automatic leaf's 目标量评 is computed (entered ones were set aside).
            override = org_mean
            overridden = override is not None
            o_value = round2(override) if override is not None else t_value
        values.append(
            LeafValue(
                leaf.code, leaf.points, method, self_value, t_value, o_value, overridden, basis
            )
        )

    if missing[Source.SELF]:
        warnings.append(MISSING_SELF + ", ".join(missing[Source.SELF]))
    if missing[Source.TARGET]:
        warnings.append(MISSING_TARGET + ", ".join(missing[Source.TARGET]))
    if missing[Source.ORG]:
        warnings.append(MISSING_ORG + ", ".join(missing[Source.ORG]))

    self_total = sum((v.self_value for v in values), ZERO)
    target_total = sum((v.target_value for v in values), ZERO)
    org_total = sum((v.org_value for v in values), ZERO)
    composite = round2(
        (s.weight_self * self_total + s.weight_target * target_total + s.weight_org * org_total)
        / HUNDRED
    )
    bonus = bonus_total((e for e in events if types[e.type_code].points > 0), types, s.bonus_cap)
    veto_events = tuple(
        sorted(
            (e for e in events if types[e.type_code].veto),
            key=lambda e: (e.on or date.min, e.type_code, e.description),
        )
    )
    return Scored(
        participant=participant,
        leaves=tuple(values),
        self_total=self_total,
        target_total=target_total,
        org_total=org_total,
        composite=composite,
        bonus=bonus,
        final=composite + bonus,
        veto_events=veto_events,
        taken=taken,
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _source_mean(
    stats: RaterStats | None, found: LeafScores, leaf: IndicatorNode, trim: int
) -> Decimal | None:
    """SPEC §3.2: the raters' mean of one source on one leaf; values lie in [0, points]."""
    if stats is None:
        return None
    for value in (stats.low, stats.high):
        if not ZERO <= value <= leaf.points:
            raise ValueError(
                f"{found.participant_id} {leaf.code}: {value} outside [0, {leaf.points}]"
            )
    return trimmed_mean(stats, trim)


# A leaf nobody scored.
NOBODY = LeafScores("", "")


def _scores_by_participant(
    inputs: CycleInputs, leaf_by_code: Mapping[str, IndicatorNode]
) -> tuple[dict[str, dict[str, LeafScores]], dict[str, set[str]]]:
    """Every participant's scores per leaf, from `inputs.scores` and `inputs.entries`
    (summed up here) together; and the automatic leaves whose 目标量评 someone entered
    anyway, which are left out (SPEC §3.2: an automatic leaf's target value is computed,
    never entered)."""
    values: dict[tuple[str, str, Source], list[Decimal]] = defaultdict(list)
    for entry in inputs.entries:
        values[(entry.participant_id, entry.leaf_code, entry.source)].append(entry.value)
    summed = (
        LeafScores(pid, code, **{source.value: summarise(found)})
        for (pid, code, source), found in values.items()
    )
    scores: dict[str, dict[str, LeafScores]] = defaultdict(dict)
    stray: dict[str, set[str]] = defaultdict(set)
    for row in chain(inputs.scores, summed):
        leaf = leaf_by_code.get(row.leaf_code)
        if leaf is None:
            raise ValueError(f"score entry for unknown leaf {row.leaf_code}")
        if row.target is not None and leaf.method in AUTOMATIC_METHODS:
            stray[row.participant_id].add(row.leaf_code)
            row = row._replace(target=None)
        by_leaf = scores[row.participant_id]
        earlier = by_leaf.get(row.leaf_code)
        by_leaf[row.leaf_code] = row if earlier is None else _merged(earlier, row)
    return scores, stray


def _merged(one: LeafScores, other: LeafScores) -> LeafScores:
    def both(a: RaterStats | None, b: RaterStats | None) -> RaterStats | None:
        return b if a is None else a if b is None else a.merged(b)

    return one._replace(
        self=both(one.self, other.self),
        target=both(one.target, other.target),
        org=both(one.org, other.org),
    )


def _automatic(
    leaf: IndicatorNode,
    participant: Participant,
    metrics: Mapping[tuple[str, str], Decimal],
    charged: Mapping[str, list[Event]],
    types: Mapping[str, EventType],
    survey: SurveyRate,
    warnings: list[str],
) -> tuple[Decimal, Decimal | None]:
    """SPEC §3.1: the computed value of an automatic leaf, before round2, and what it
    was computed from (`LeafValue.basis`)."""
    if leaf.method is Method.DEDUCTION:
        deducted = deduction_total(charged.get(leaf.code, []), types)
        return max(ZERO, leaf.points - deducted), deducted
    if leaf.method is Method.SURVEY:
        if survey.counted == 0:
            warnings.append("无有效测评票")
            return ZERO, None
        return leaf.points * survey.rate / HUNDRED, survey.rate
    actual = metrics.get((participant.community, leaf.metric_key or ""))
    if actual is None:
        warnings.append(f"缺少指标数据: {leaf.code} {leaf.metric_key}")
        return ZERO, None
    if leaf.method is Method.TARGET:
        if leaf.target is None:
            raise ValueError(f"leaf {leaf.code} has no target")
        return target_value(leaf.points, leaf.target, actual), actual
    return bands_value(leaf.bands, actual), actual


def _competition_ranks(ordered: list[Scored]) -> dict[str, int]:
    """SPEC §3.5: equal keys share a rank and the next rank skips (1, 2, 2, 4)."""
    ranks: dict[str, int] = {}
    previous = None
    for position, scored in enumerate(ordered, start=1):
        key = scored.order_key()
        if key != previous:
            rank, previous = position, key
        ranks[scored.participant.id] = rank
    return ranks


def _rule_grade(scored: Scored, s: Settings) -> str:
    labels = s.grade_labels
    if scored.final >= s.excellent_line:
        return labels.excellent
    if scored.final >= s.qualified_line:
        return labels.qualified
    if scored.final >= s.basic_line:
        return labels.basic
    return labels.failed


@dataclass(frozen=True)
class _Placed:
    rank: int
    grade: str
    tier: str


def _place_group(
    group: list[Scored], s: Settings, key: str | None
) -> tuple[dict[str, _Placed], GroupResult]:
    """SPEC §3.5: ranks, grades with the 优秀 quota, and pay tiers within one group."""
    ordered = sorted(group, key=lambda x: (x.order_key(), x.participant.staff_no))
    ranks = _competition_ranks(ordered)
    n = len(ordered)
    quota = int((n * s.excellent_share / HUNDRED).to_integral_value(rounding=ROUND_FLOOR))
    top = round_half_up(n * s.top_share / HUNDRED)
    bottom = round_half_up(n * s.bottom_share / HUNDRED)
    group_size: dict[int, int] = defaultdict(int)
    for rank in ranks.values():
        group_size[rank] += 1

    labels, tiers = s.grade_labels, s.tier_labels
    placed: dict[str, _Placed] = {}
    warnings: list[str] = []
    for scored in ordered:
        pid = scored.participant.id
        rank = ranks[pid]
        if scored.veto:
            grade = labels.failed
        else:
            grade = _rule_grade(scored, s)
            # Everyone ranked better is also an unvetoed candidate, so rank − 1 places
            # are taken; the tied group keeps 优秀 only if all of it fits.
            if grade == labels.excellent and rank - 1 + group_size[rank] > quota:
                grade = labels.qualified
                warnings.append(f"优秀名额: {scored.participant.staff_no}")
        # A tied group straddling a boundary shares the rank of its best place, so the
        # comparisons on r give it the better tier (SPEC §3.5).
        if scored.veto or rank > n - bottom:
            tier = tiers.bottom
        elif rank <= top:
            tier = tiers.top
        else:
            tier = tiers.middle
        placed[pid] = _Placed(rank, grade, tier)
    return placed, GroupResult(key, n, quota, top, bottom, tuple(warnings))


def _flags(previous: tuple[str, ...], grade: str, s: Settings) -> tuple[Flag, ...]:
    """SPEC §3.5 across years: the last N grades, this cycle's included, all equal."""
    n = s.consecutive_years
    history = (*previous, grade)
    if n <= 0 or len(history) < n:
        return ()
    last = history[-n:]
    if all(g == s.grade_labels.excellent for g in last):
        return (Flag.REPEATED_EXCELLENT,)
    if all(g == s.grade_labels.failed for g in last):
        return (Flag.REPEATED_FAILED,)
    return ()


def compute(inputs: CycleInputs) -> CycleResult:
    """Compute a whole cycle (SPEC §3.1–§3.6): leaf values, the 三评 totals, composite,
    bonus, veto, final, then per ranking group ranks, grades with the 优秀 quota, pay
    tiers, coefficients and pay; grade overrides and across-year flags last. With
    ``inputs.cutoff`` only events dated on or before it count and results are provisional.
    ``compute(inputs) == place(score(inputs), …)``.
    """
    return place(score(inputs), inputs.settings, inputs.grade_overrides, inputs.cutoff)


def score(inputs: CycleInputs) -> tuple[Scored, ...]:
    """SPEC §3.1–§3.4 for each of ``inputs.participants``, by participant id: leaf
    values, the 三评 totals, composite, bonus, veto and final — everything before ranking,
    which depends on nobody else."""
    with localcontext(EXACT_CONTEXT):
        return _score(inputs)


def place(
    scored: Iterable[Scored],
    settings: Settings,
    overrides: Iterable[GradeOverride] = (),
    cutoff: date | None = None,
) -> CycleResult:
    """SPEC §3.5 over a whole cycle's scored participants: per ranking group ranks,
    grades with the 优秀 quota and pay tiers, then coefficients, pay, grade overrides
    and across-year flags. Results come by participant id."""
    with localcontext(EXACT_CONTEXT):
        ordered = sorted(scored, key=lambda one: one.participant.id)
        return _place(ordered, settings, overrides, cutoff)


def _score(inputs: CycleInputs) -> tuple[Scored, ...]:
    s = inputs.settings
    leaves = _leaves(inputs.nodes)
    leaf_by_code = {leaf.code: leaf for leaf in leaves}
    types = {t.code: t for t in inputs.event_types}

    scores, stray = _scores_by_participant(inputs, leaf_by_code)

    metrics = {(m.community, m.key): m.value for m in inputs.metrics}
    events: dict[str, list[Event]] = defaultdict(list)
    for event in inputs.events:
        if event.type_code not in types:
            raise ValueError(f"event of unknown type {event.type_code}")
        if _counted(event, inputs.cutoff):
            events[event.participant_id].append(event)

    weights = {c.name: c.weight for c in inputs.survey_categories}
    counts: dict[str, list[SurveyCount]] = defaultdict(list)
    for count in inputs.survey_counts:
        counts[count.community].append(count)
    rates = {
        community: satisfaction_rate(counts.get(community, []), weights, s.survey_values)
        for community in {p.community for p in inputs.participants}
    }

    scored: list[Scored] = []
    for p in sorted(inputs.participants, key=lambda p: p.id):
        one = _score_participant(
            p, leaves, inputs, scores[p.id], metrics, events[p.id], types, rates[p.community]
        )
        if stray[p.id]:
            ignored = "目标量评录入被忽略(自动指标): " + ", ".join(sorted(stray[p.id]))
            one = replace(one, warnings=(*one.warnings, ignored))
        scored.append(one)
    return tuple(scored)


def _place(
    scored: list[Scored],
    s: Settings,
    grade_overrides: Iterable[GradeOverride],
    cutoff: date | None,
) -> CycleResult:
    groups: dict[str | None, list[Scored]] = defaultdict(list)
    for one in scored:
        if one.participant.graded:
            key = one.participant.town if s.ranking_group is RankingGroup.TOWN else None
            groups[key].append(one)
    placed: dict[str, _Placed] = {}
    group_results: list[GroupResult] = []
    for key in sorted(groups, key=lambda k: k or ""):
        group_placed, group_result = _place_group(groups[key], s, key)
        placed.update(group_placed)
        group_results.append(group_result)

    overrides = {o.participant_id: o for o in grade_overrides}
    coefficients = {
        s.tier_labels.top: s.top_coefficient,
        s.tier_labels.middle: s.middle_coefficient,
        s.tier_labels.bottom: s.bottom_coefficient,
    }
    results = []
    for one in scored:
        p = one.participant
        spot = placed.get(p.id)
        rule_grade = spot.grade if spot else s.grade_labels.ungraded
        # SPEC §3.5: not graded → 不定等次, whatever grade an override once set.
        override = overrides.get(p.id) if p.graded else None
        grade = override.grade if override else rule_grade
        tier = spot.tier if spot else None
        coefficient = coefficients[tier] if tier else None
        results.append(
            ParticipantResult(
                participant_id=p.id,
                staff_no=p.staff_no,
                town=p.town,
                graded=p.graded,
                leaves=one.leaves,
                self_total=one.self_total,
                target_total=one.target_total,
                org_total=one.org_total,
                composite=one.composite,
                bonus=one.bonus,
                final=one.final,
                veto=one.veto,
                veto_events=one.veto_events,
                taken=one.taken,
                rank=spot.rank if spot else None,
                grade=grade,
                rule_grade=rule_grade,
                override_reason=override.reason if override else None,
                tier=tier,
                coefficient=coefficient,
                pay=round2(s.pay_base * coefficient) if coefficient is not None else None,
                flags=_flags(p.previous_grades, grade, s),
                warnings=one.warnings,
                provisional=cutoff is not None,
            )
        )
    return CycleResult(
        participants=tuple(results),
        groups=tuple(group_results),
        warnings=tuple(w for g in group_results for w in g.warnings),
        provisional=cutoff is not None,
    )
