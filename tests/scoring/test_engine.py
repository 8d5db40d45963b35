"""SPEC §3 clause by clause, on small hand-made cycles, plus properties (hypothesis).

Most cycles here use a two-leaf tree: a `rating` leaf R (60 points) and an automatic
leaf A (40 points) whose method each test chooses. Scores are entered so that S = T = O
unless a test needs otherwise, which keeps the arithmetic checkable by hand.
"""

import random
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.engine import (
    CycleInputs,
    Event,
    EventType,
    Flag,
    GradeOverride,
    IndicatorNode,
    LeafScores,
    Method,
    Metric,
    Participant,
    RankingGroup,
    RaterStats,
    ScoreEntry,
    Settings,
    Source,
    SurveyCategory,
    SurveyCount,
    compute,
    rater_mean,
    round2,
    summarise,
    trimmed_mean,
)

ROOT = IndicatorNode("1", None, D(100))


def tree(method=Method.DEDUCTION, **leaf):
    """R: rating, 60 points; A: automatic, 40 points."""
    return (
        ROOT,
        IndicatorNode("1.1", "1", D(60), Method.RATING),
        IndicatorNode("1.2", "1", D(40), method, **leaf),
    )


def person(pid, town="T1", graded=True, previous=()):
    return Participant(pid, pid, f"C-{pid}", town, graded, tuple(previous))


def rated(pid, value, sources=(Source.SELF, Source.TARGET, Source.ORG), leaf="1.1"):
    """One rater per source giving ``value`` on the rating leaf."""
    return tuple(ScoreEntry(pid, leaf, src, f"{src}-1", D(value)) for src in sources)


def three(pid, s, t, o, self_automatic=40):
    """S, T and O entries on the rating leaf, plus the secretary's own value for the
    automatic leaf (S counts self-entered values on every leaf, SPEC §3.2)."""
    return (
        ScoreEntry(pid, "1.1", Source.SELF, "self", D(s)),
        ScoreEntry(pid, "1.1", Source.TARGET, "t", D(t)),
        ScoreEntry(pid, "1.1", Source.ORG, "o", D(o)),
        ScoreEntry(pid, "1.2", Source.SELF, "self", D(self_automatic)),
    )


def cycle(finals, **kw):
    """A cycle where P<i> ends at finals[i]: the rating leaf is rated finals[i] − 40 by
    every source and the 40-point deduction leaf is untouched, so S = T = O = final."""
    people = kw.pop("participants", None) or tuple(person(f"P{i:02}") for i in range(len(finals)))
    entries = tuple(
        e
        for p, f in zip(people, finals, strict=True)
        for e in three(p.id, D(f) - 40, D(f) - 40, D(f) - 40)
    )
    return CycleInputs(nodes=tree(), participants=people, entries=entries, **kw)


def one(inputs, pid="P00"):
    return compute(inputs).participant(pid)


# ------------------------------------------------------------------ §3.1 leaf methods


def test_rating_leaf_takes_the_raters_value():
    """SPEC §3.1 rating: the leaf value is what the raters entered."""
    result = one(cycle([D("95.5")]))
    assert result.leaf("1.1").target_value == D("55.50")


def test_target_leaf_is_points_times_actual_over_target_capped_at_one():
    """SPEC §3.1 target: points × min(actual / target, 1)."""
    nodes = tree(Method.TARGET, metric_key="m", target=D(3))
    people = (person("P00"), person("P01"))
    metrics = (Metric("C-P00", "m", D(2)), Metric("C-P01", "m", D(7)))
    result = compute(CycleInputs(nodes=nodes, participants=people, metrics=metrics))
    assert result.participant("P00").leaf("1.2").target_value == D("26.67")
    assert result.participant("P01").leaf("1.2").target_value == D("40.00")
    # What the value was computed from travels with it (the sheet's 计分依据).
    assert result.participant("P01").leaf("1.2").basis == D(7)


def test_target_leaf_without_metric_scores_zero_with_a_warning():
    """SPEC §3.1 target: no metric → 0 and a warning."""
    nodes = tree(Method.TARGET, metric_key="m", target=D(3))
    result = one(CycleInputs(nodes=nodes, participants=(person("P00"),)))
    assert result.leaf("1.2").target_value == 0
    assert result.leaf("1.2").basis is None
    assert any("缺少指标数据" in w for w in result.warnings)


def test_bands_leaf_takes_the_highest_threshold_reached():
    """SPEC §3.1 bands: value of the highest threshold ≤ actual; none reached → 0."""
    bands = ((D(10), D(20)), (D(30), D(40)), (D(20), D(30)))
    nodes = tree(Method.BANDS, metric_key="m", bands=bands)
    people = tuple(person(f"P0{i}") for i in range(4))
    metrics = tuple(
        Metric(f"C-P0{i}", "m", D(v)) for i, v in enumerate(["9.99", "20", "29.9", "31"])
    )
    result = compute(CycleInputs(nodes=nodes, participants=people, metrics=metrics))
    values = [result.participant(p.id).leaf("1.2").target_value for p in people]
    assert values == [D(0), D(30), D(30), D(40)]


def test_deduction_leaf_floors_at_zero_and_each_type_cap_limits_its_own_total():
    """SPEC §3.1 deduction: max(0, points − Σ deductions), a type's cap limits its own
    total (扣完为止)."""
    types = (
        EventType("CAPPED", D(-15), "1.2", cap=D(20)),
        EventType("PLAIN", D(-7), "1.2"),
    )
    events = tuple(Event("P00", "CAPPED") for _ in range(3)) + (Event("P00", "PLAIN"),)
    inputs = cycle([D(100)], event_types=types, events=events)
    assert one(inputs).leaf("1.2").target_value == D(13)  # 40 − min(45, 20) − 7
    assert one(inputs).leaf("1.2").basis == D(27)  # deducted before the floor
    floored = replace(inputs, events=events + tuple(Event("P00", "PLAIN") for _ in range(3)))
    assert one(floored).leaf("1.2").target_value == 0
    assert one(floored).taken == D(40)


def test_survey_leaf_is_points_times_rate():
    """SPEC §3.1 survey and §3.4: points × rate / 100, rate from the ballots."""
    nodes = tree(Method.SURVEY)
    counts = (SurveyCount("C-P00", "居民代表", satisfied=2, basic=1, unsatisfied=0, unknown=5),)
    categories = (SurveyCategory("居民代表", D(60)),)
    inputs = CycleInputs(
        nodes=nodes,
        participants=(person("P00"),),
        survey_counts=counts,
        survey_categories=categories,
    )
    # rate = (200 + 60) / 3 = 86.666…, 40 × rate / 100 = 34.666… → 34.67
    assert one(inputs).leaf("1.2").target_value == D("34.67")
    assert round2(one(inputs).leaf("1.2").basis) == D("86.67")


def test_only_verified_events_count():
    """SPEC §2/§3.1: reported or rejected events neither deduct nor add nor veto."""
    types = (EventType("D", D(-5), "1.2"), EventType("B", D(5)), EventType("V", D(0), veto=True))
    events = tuple(Event("P00", code, verified=False) for code in ("D", "B", "V"))
    result = one(cycle([D(90)], event_types=types, events=events))
    assert (result.final, result.bonus, result.veto) == (D(90), D(0), False)


# ---------------------------------------------------------------------- §3.2 三评


def test_trimmed_mean_applies_exactly_at_the_rater_threshold():
    """SPEC §3.2: with at least 5 raters one highest and one lowest are dropped."""
    assert rater_mean([D(1), D(5), D(5), D(5), D(9)], 5) == D(5)
    raters = [D(2), D(6), D(6), D(6), D(10)]
    entries = tuple(ScoreEntry("P00", "1.1", Source.ORG, f"O{i}", v) for i, v in enumerate(raters))
    inputs = CycleInputs(nodes=tree(), participants=(person("P00"),), entries=entries)
    assert one(inputs).leaf("1.1").org_value == D(6)


def test_plain_mean_below_the_rater_threshold():
    """SPEC §3.2: fewer raters than the threshold → plain mean of all."""
    assert rater_mean([D(1), D(5), D(5), D(9)], 5) == D(5)
    assert rater_mean([D(1), D(2), D(2), D(2)], 5) == D("1.75")
    raters = [D(1), D(2), D(2), D(2)]
    entries = tuple(ScoreEntry("P00", "1.1", Source.ORG, f"O{i}", v) for i, v in enumerate(raters))
    inputs = CycleInputs(nodes=tree(), participants=(person("P00"),), entries=entries)
    assert one(inputs).leaf("1.1").org_value == D("1.75")
    trim_at_four = replace(inputs, settings=Settings(trim_min_raters=4))
    assert one(trim_at_four).leaf("1.1").org_value == D(2)


def test_each_leaf_is_rounded_once_and_totals_are_sums_of_rounded_leaves():
    """SPEC §3.2: each leaf round2-ed once; S, T, O sum the rounded leaf values."""
    nodes = (
        ROOT,
        IndicatorNode("1.1", "1", D(50), Method.RATING),
        IndicatorNode("1.2", "1", D(50), Method.RATING),
    )
    # Each leaf's mean is 1.005 (→ 1.01): the total is 2.02, not round2(2.01) = 2.01.
    entries = tuple(
        ScoreEntry("P00", leaf, Source.TARGET, rater, D(value))
        for leaf in ("1.1", "1.2")
        for rater, value in (("a", "1.00"), ("b", "1.01"))
    )
    result = one(CycleInputs(nodes=nodes, participants=(person("P00"),), entries=entries))
    assert result.leaf("1.1").target_value == D("1.01")
    assert result.target_total == D("2.02")


def test_missing_rating_entries_count_zero_and_are_flagged():
    """SPEC §3.2: missing self / target / org values → 0, flagged (自评不完整 …)."""
    result = one(CycleInputs(nodes=tree(), participants=(person("P00"),)))
    assert (result.self_total, result.target_total, result.org_total) == (0, 40, 40)
    assert any(w.startswith("自评不完整") for w in result.warnings)
    assert any(w.startswith("目标量评缺项") for w in result.warnings)
    assert any(w.startswith("组织考评缺项") for w in result.warnings)


def test_org_override_replaces_the_computed_value_of_an_automatic_leaf():
    """SPEC §3.2: O uses the computed value unless an org rater overrode it; T keeps the
    computed value and a target entry on an automatic leaf is ignored."""
    types = (EventType("D", D(-10), "1.2"),)
    entries = (
        ScoreEntry("P00", "1.2", Source.ORG, "O1", D(38), note="复核已化解"),
        ScoreEntry("P00", "1.2", Source.TARGET, "T1", D(40)),
    )
    inputs = CycleInputs(
        nodes=tree(),
        participants=(person("P00"),),
        entries=entries,
        event_types=types,
        events=(Event("P00", "D"),),
    )
    leaf = one(inputs).leaf("1.2")
    assert (leaf.target_value, leaf.org_value, leaf.org_overridden) == (D(30), D(38), True)
    assert one(inputs).taken == D(10)


def test_composite_weights_the_three_evaluations_and_rounds_once():
    """SPEC §3.2: composite = round2(wS·S + wT·T + wO·O), weights in percent."""
    entries = three("P00", "60", "33.33", "45.01")
    inputs = CycleInputs(nodes=tree(), participants=(person("P00"),), entries=entries)
    # S 100, T 73.33, O 85.01 → 10 + 36.665 + 34.004 = 80.669 → 80.67
    assert one(inputs).composite == D("80.67")
    custom = replace(
        inputs, settings=Settings(weight_self=D(0), weight_target=D(30), weight_org=D(70))
    )
    assert one(custom).composite == D("81.51")  # 21.999 + 59.507 = 81.506


# ------------------------------------------------------------ §3.3 bonus, veto, final


def test_bonus_is_capped_and_added_after_weighting():
    """SPEC §3.3: bonus = min(Σ bonus points, cap), added unweighted to the composite."""
    types = (EventType("B", D(15)), EventType("SMALL", D(2), cap=D(3)))
    events = (Event("P00", "B"), Event("P00", "B"), Event("P00", "SMALL"), Event("P00", "SMALL"))
    result = one(cycle([D(80)], event_types=types, events=events))
    assert result.bonus == D(20)
    assert result.final == result.composite + D(20) == D(100)
    below_cap = one(cycle([D(80)], event_types=types, events=events[2:]))
    assert below_cap.bonus == D(3)  # the type's own cap (3) before the cycle's cap


def test_veto_keeps_the_score_but_fails_ranks_last_and_takes_the_bottom_tier():
    """SPEC §3.3: a vetoed participant's score is shown, grade 不合格, lowest tier, ranked
    after everyone not vetoed, with the reason event."""
    types = (EventType("V", D(0), veto=True),)
    veto = Event("P00", "V", on=date(2026, 3, 1), description="越级信访")
    result = compute(cycle([D(99)] + [D(70)] * 9, event_types=types, events=(veto,)))
    vetoed = result.participant("P00")
    assert vetoed.final == D(99)
    assert (vetoed.grade, vetoed.tier, vetoed.rank) == ("不合格", "三档", 10)
    assert vetoed.veto_events == (veto,)
    assert all(p.rank == 1 for p in result.participants if p.participant_id != "P00")


def test_exempt_events_neither_deduct_nor_veto_nor_add():
    """SPEC §2 免责: an exempted event neither deducts nor vetoes (nor adds a bonus)."""
    types = (EventType("D", D(-5), "1.2"), EventType("V", D(0), veto=True), EventType("B", D(5)))
    events = tuple(Event("P00", code, exempt=True) for code in ("D", "V", "B"))
    result = one(cycle([D(90)], event_types=types, events=events))
    assert (result.final, result.bonus, result.taken, result.veto) == (D(90), 0, 0, False)


# ------------------------------------------------------------ §3.4 satisfaction rate


def test_satisfaction_rate_reweights_over_categories_with_counted_ballots():
    """SPEC §3.4: a category without counted ballots (only 不了解) drops out of the
    weights."""
    nodes = tree(Method.SURVEY)
    categories = (
        SurveyCategory("居民代表", D(60)),
        SurveyCategory("物业", D(20)),
        SurveyCategory("共建单位", D(20)),
    )
    counts = (
        SurveyCount("C-P00", "居民代表", satisfied=1, basic=1),  # 80
        SurveyCount("C-P00", "物业", unsatisfied=1),  # 0
        SurveyCount("C-P00", "共建单位", unknown=4),  # not counted
    )
    inputs = CycleInputs(
        nodes=nodes,
        participants=(person("P00"),),
        survey_counts=counts,
        survey_categories=categories,
    )
    # rate = (60·80 + 20·0) / 80 = 60 → 40 × 60 / 100 = 24
    assert one(inputs).leaf("1.2").target_value == D(24)


def test_no_counted_ballot_gives_rate_zero_and_a_warning():
    """SPEC §3.4: no counted ballot at all → rate 0 and a warning."""
    counts = (SurveyCount("C-P00", "居民代表", unknown=3),)
    inputs = CycleInputs(
        nodes=tree(Method.SURVEY),
        participants=(person("P00"),),
        survey_counts=counts,
        survey_categories=(SurveyCategory("居民代表", D(60)),),
    )
    result = one(inputs)
    assert result.leaf("1.2").target_value == 0
    assert "无有效测评票" in result.warnings


# ----------------------------------------------------- §3.5 ranking, grades, tiers


def test_equal_finals_are_ordered_by_target_evaluation():
    """SPEC §3.5: at equal final, higher T ranks first."""
    entries = (
        three("P00", 40, 40, 40)  # S 80, T 80, O 80: 8 + 40 + 32 = 80
        + three("P01", 0, 48, 40)  # S 40, T 88, O 80: 4 + 44 + 32 = 80
        + three("P02", 20, 44, 40)  # S 60, T 84, O 80: 6 + 42 + 32 = 80
    )
    people = tuple(person(f"P0{i}") for i in range(3))
    result = compute(CycleInputs(nodes=tree(), participants=people, entries=entries))
    assert {p.final for p in result.participants} == {D(80)}
    assert [p.rank for p in result.participants] == [3, 1, 2]


def test_equal_final_and_target_are_ordered_by_org_evaluation():
    """SPEC §3.5: at equal final and T, higher O ranks first."""
    entries = (
        three("P00", 40, 40, 40)  # S 80, T 80, O 80: 8 + 40 + 32 = 80
        + three("P01", 32, 40, 42)  # S 72, T 80, O 82: 7.2 + 40 + 32.8 = 80
    )
    people = (person("P00"), person("P01"))
    result = compute(CycleInputs(nodes=tree(), participants=people, entries=entries))
    assert result.participant("P00").final == result.participant("P01").final == D(80)
    assert [p.rank for p in result.participants] == [2, 1]


def test_equal_final_t_and_o_are_ordered_by_deduction_points_taken():
    """SPEC §3.5: still equal after T and O → fewer deduction points taken ranks first
    (Σ over deduction leaves of points − leaf value)."""
    nodes = (
        ROOT,
        IndicatorNode("1.1", "1", D(90), Method.RATING),
        IndicatorNode("1.2", "1", D(5), Method.DEDUCTION),
        IndicatorNode("1.3", "1", D(5), Method.DEDUCTION),
    )
    types = (EventType("A", D(-2), "1.2"), EventType("B", D(-3), "1.3"))
    self_entries = tuple(
        ScoreEntry(pid, leaf, Source.SELF, "self", D(value))
        for pid in ("P00", "P01")
        for leaf, value in (("1.1", 80), ("1.2", 5), ("1.3", 5))
    )
    # P00: 85 rated, loses 2 + 3 → T = O = 90, taken 5; P01: 80 rated, loses nothing.
    entries = (
        self_entries
        + rated("P00", 85, sources=(Source.TARGET, Source.ORG))
        + rated("P01", 80, sources=(Source.TARGET, Source.ORG))
    )
    inputs = CycleInputs(
        nodes=nodes,
        participants=(person("P00"), person("P01")),
        entries=entries,
        event_types=types,
        events=(Event("P00", "A"), Event("P00", "B")),
    )
    p0, p1 = compute(inputs).participants
    assert (p0.final, p0.target_total, p0.org_total) == (p1.final, p1.target_total, p1.org_total)
    assert (p0.taken, p1.taken) == (D(5), D(0))
    assert (p0.rank, p1.rank) == (2, 1)


def test_competition_ranking_shares_a_rank_and_skips_the_next():
    """SPEC §3.5: still equal → same rank (1, 2, 2, 4)."""
    result = compute(cycle([D(95), D(90), D(90), D(85)]))
    assert [p.rank for p in result.participants] == [1, 2, 2, 4]


def test_tied_group_that_overflows_excellent_quota_becomes_qualified():
    """SPEC §3.5: 优秀 is capped at floor(n × 20%); a tied group that does not fit as a
    whole becomes 合格 and the cycle warns; so does everyone below it."""
    finals = [D(99), D(95), D(95), D(93)] + [D(80)] * 6  # n = 10 → quota 2
    result = compute(cycle(finals))
    assert result.quota == 2
    grades = [p.grade for p in result.participants]
    assert grades[:4] == ["优秀", "合格", "合格", "合格"]
    assert result.warnings == ("优秀名额: P01", "优秀名额: P02", "优秀名额: P03")


def test_excellent_quota_is_floored():
    """SPEC §3.5: the cap is floor(n × share): 14 × 20% = 2.8 → 2."""
    result = compute(cycle([D(95)] * 2 + [D(91)] + [D(80)] * 11))
    assert result.quota == 2
    assert [p.grade for p in result.participants[:3]] == ["优秀", "优秀", "合格"]


def test_tier_sizes_round_half_up():
    """SPEC §3.5: top = bottom = round_half_up(n × share): n = 5 → 1, n = 13 → 2.6 → 3;
    an exact half rounds up: n = 10 with 25% → 2.5 → 3."""
    assert (compute(cycle([D(80)] * 5)).top, compute(cycle([D(80)] * 13)).bottom) == (1, 3)
    quarter = Settings(top_share=D(25), bottom_share=D(25))
    result = compute(cycle([D(99 - i) for i in range(10)], settings=quarter))
    assert (result.top, result.bottom) == (3, 3)
    assert [p.tier for p in result.participants] == ["一档"] * 3 + ["二档"] * 4 + ["三档"] * 3


def test_a_tied_group_at_the_top_boundary_takes_the_better_tier():
    """SPEC §3.5: a tied group across the 一档 boundary is all 一档."""
    result = compute(cycle([D(99), D(95), D(95)] + [D(80 - i) for i in range(7)]))
    assert result.top == 2
    assert [p.tier for p in result.participants[:4]] == ["一档", "一档", "一档", "二档"]


def test_a_tied_group_at_the_bottom_boundary_takes_the_better_tier():
    """SPEC §3.5: r > n − bottom → 三档; a tied group straddling it stays 二档."""
    result = compute(cycle([D(99 - i) for i in range(7)] + [D(70), D(70), D(60)]))
    assert result.bottom == 2
    tiers = [p.tier for p in result.participants]
    assert tiers[7:] == ["二档", "二档", "三档"]  # ranks 8, 8, 10 with n − bottom = 8


def test_coefficient_and_pay_follow_the_tier():
    """SPEC §3.5: pay = round2(base × coefficient)."""
    s = Settings(pay_base=D("55555.55"))
    result = compute(cycle([D(99 - i) for i in range(5)], settings=s))
    pays = [(p.tier, p.coefficient, p.pay) for p in result.participants]
    assert pays[0] == ("一档", D("1.10"), D("61111.11"))  # 61111.105 → .11
    assert pays[2] == ("二档", D("1.00"), D("55555.55"))
    assert pays[4] == ("三档", D("0.90"), D("50000.00"))  # 49999.995 → 50000.00


def test_non_graded_participants_are_scored_but_not_ranked():
    """SPEC §3.5: not graded → 不定等次, no rank, tier, coefficient or pay; not in n."""
    people = (person("P00", graded=False),) + tuple(person(f"P0{i}") for i in range(1, 6))
    result = compute(cycle([D(99), D(95), D(90), D(85), D(80), D(75)], participants=people))
    outsider = result.participant("P00")
    assert outsider.final == D(99)
    assert (outsider.grade, outsider.rank, outsider.tier) == ("不定等次", None, None)
    assert (outsider.coefficient, outsider.pay) == (None, None)
    assert result.n == 5
    assert result.participant("P01").rank == 1


def test_grade_override_applies_after_the_rules_and_keeps_its_reason():
    """SPEC §3.5: an assessor may override a grade with a reason."""
    override = GradeOverride("P01", "基本合格", "群众反映强烈，经研究调整")
    result = compute(cycle([D(95), D(85)] + [D(80)] * 3, grade_overrides=(override,)))
    changed = result.participant("P01")
    assert (changed.rule_grade, changed.grade) == ("合格", "基本合格")
    assert changed.override_reason == override.reason
    assert changed.rank == 2  # the override changes the grade only


def test_an_override_does_not_grade_a_participant_who_is_not_graded():
    """SPEC §3.5: not graded → 不定等次; an override left from before stays without effect."""
    people = (person("P00", graded=False),) + tuple(person(f"P0{i}") for i in range(1, 5))
    override = GradeOverride("P00", "合格", "调任前的调整")
    result = compute(cycle([D(80)] * 5, participants=people, grade_overrides=(override,)))
    outsider = result.participant("P00")
    assert (outsider.grade, outsider.override_reason, outsider.rank) == ("不定等次", None, None)


def test_grade_thresholds():
    """SPEC §3.5: ≥ 90 优秀, ≥ 70 合格, ≥ 60 基本合格, else 不合格."""
    finals = [D(90), D("89.99"), D(70), D("69.99"), D(60), D("59.99")] + [D(50)] * 4
    result = compute(cycle(finals))
    grades = [p.grade for p in result.participants[:6]]
    assert grades == ["优秀", "合格", "合格", "基本合格", "基本合格", "不合格"]


def test_consecutive_years_flags():
    """SPEC §3.5 across years: 2 consecutive 优秀 → 可定向考录事业编/推荐两代表一委员;
    2 consecutive 不合格 → 末位处理."""
    people = (
        person("P00", previous=("合格", "优秀")),
        person("P01", previous=("优秀", "合格")),
        person("P02", previous=("不合格",)),
        person("P03"),
        person("P04"),
    )
    result = compute(cycle([D(95), D(94), D(50), D(80), D(80)], participants=people))
    flags = {p.participant_id: p.flags for p in result.participants}
    assert flags["P00"] == (Flag.REPEATED_EXCELLENT,)
    assert flags["P01"] == ()
    assert flags["P02"] == (Flag.REPEATED_FAILED,)
    assert flags["P03"] == ()


def test_ranking_per_town():
    """SPEC §3.5: optionally each town is its own ranking group with its own n, quota
    and tiers."""
    people = tuple(person(f"P0{i}", town="A" if i < 5 else "B") for i in range(10))
    finals = [D(99), D(95), D(85), D(80), D(75), D(98), D(94), D(84), D(79), D(74)]
    town = Settings(ranking_group=RankingGroup.TOWN)
    result = compute(cycle(finals, participants=people, settings=town))
    assert [(g.key, g.n, g.quota, g.top) for g in result.groups] == [("A", 5, 1, 1), ("B", 5, 1, 1)]
    assert result.participant("P05").rank == 1
    assert result.participant("P05").grade == "优秀"
    assert result.participant("P06").grade == "合格"
    whole = compute(cycle(finals, participants=people))
    assert whole.participant("P05").rank == 2


# ------------------------------------------------------------ §3.6 provisional


def test_provisional_scores_count_only_events_up_to_the_cut_off():
    """SPEC §3.6: same rules over events dated up to the cut-off; marked provisional."""
    types = (EventType("D", D(-5), "1.2"), EventType("B", D(3)))
    events = (
        Event("P00", "D", on=date(2026, 3, 31)),
        Event("P00", "D", on=date(2026, 4, 1)),
        Event("P00", "B", on=date(2026, 6, 30)),
    )
    inputs = cycle([D(90)], event_types=types, events=events)
    q1 = compute(replace(inputs, cutoff=date(2026, 3, 31)))
    assert q1.provisional and q1.participants[0].provisional
    assert (q1.participants[0].leaf("1.2").target_value, q1.participants[0].bonus) == (35, 0)
    year = compute(inputs)
    assert not year.provisional and not year.participants[0].provisional
    assert (year.participants[0].leaf("1.2").target_value, year.participants[0].bonus) == (30, 3)


# --------------------------------------------------------------------- purity


def test_engine_imports_nothing_from_django():
    """DESIGN §3/§7: the engine is pure; it must import without Django available."""
    code = (
        "import sys; sys.modules['django'] = None\n"
        "import scoring.engine\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules "
        "if sys.modules[m] is not None)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(_project_root()))


def _project_root():
    return Path(__file__).resolve().parents[2]


def test_round2_is_half_up():
    """SPEC §3: round2 rounds half up, not to even."""
    assert (round2(D("0.125")), round2(D("0.135")), round2(D("2.675"))) == (
        D("0.13"),
        D("0.14"),
        D("2.68"),
    )


# ----------------------------------------------------------------- properties

money = st.decimals(min_value=0, max_value=60, places=1)


@st.composite
def random_cycles(draw):
    """Small cycles over the two-leaf tree with deductions, bonuses and vetoes."""
    n = draw(st.integers(min_value=1, max_value=12))
    people = tuple(
        person(f"P{i:02}", town=draw(st.sampled_from("AB")), graded=draw(st.booleans()) or i == 0)
        for i in range(n)
    )
    entries = []
    for p in people:
        for src in Source:
            for r in range(draw(st.integers(min_value=0, max_value=6 if src is Source.ORG else 1))):
                entries.append(ScoreEntry(p.id, "1.1", src, f"{src}{r}", draw(money)))
    types = (
        EventType("D", D(-7), "1.2", cap=D(15)),
        EventType("D2", D("-2.5"), "1.2"),
        EventType("B", D(6)),
        EventType("B2", D(10), cap=D(10)),
        EventType("V", D(0), veto=True),
    )
    events = [
        Event(p.id, draw(st.sampled_from([t.code for t in types])), exempt=draw(st.booleans()))
        for p in people
        for _ in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    group = draw(st.sampled_from(list(RankingGroup)))
    return CycleInputs(
        nodes=tree(),
        participants=people,
        entries=tuple(entries),
        event_types=types,
        events=tuple(events),
        settings=Settings(ranking_group=group, pay_base=D(1000)),
    )


PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(random_cycles(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(inputs, rnd: random.Random):
    """SPEC §3: the same inputs in any order give the same results."""

    def shuffled(items):
        items = list(items)
        rnd.shuffle(items)
        return tuple(items)

    reordered = replace(
        inputs,
        participants=shuffled(inputs.participants),
        entries=shuffled(inputs.entries),
        events=shuffled(inputs.events),
        nodes=shuffled(inputs.nodes),
    )
    assert compute(reordered) == compute(inputs)


@PROPERTY
@given(random_cycles())
def test_tied_participants_share_rank_grade_and_tier(inputs):
    """SPEC §3.5: participants equal on every ranking key get the same rank, grade, tier."""
    result = compute(inputs)
    by_key = {}
    for p in result.participants:
        if p.rank is None:
            continue
        key = (p.town if inputs.settings.ranking_group is RankingGroup.TOWN else None, p.veto)
        key += (p.final, p.target_total, p.org_total, p.taken)
        by_key.setdefault(key, set()).add((p.rank, p.grade, p.tier))
    assert all(len(outcomes) == 1 for outcomes in by_key.values())


@PROPERTY
@given(random_cycles())
def test_excellent_never_exceeds_the_quota(inputs):
    """SPEC §3.5: the number of 优秀 in a ranking group never exceeds floor(n × share)."""
    result = compute(inputs)
    for group in result.groups:
        members = [
            p
            for p in result.participants
            if p.rank is not None and (group.key is None or p.town == group.key)
        ]
        assert len(members) == group.n
        assert sum(p.grade == "优秀" for p in members) <= group.quota


@PROPERTY
@given(random_cycles())
def test_leaf_values_lie_within_points_and_final_within_100_plus_cap(inputs):
    """SPEC §3.1/§3.3: each leaf value in [0, points]; final ≤ 100 + bonus cap."""
    result = compute(inputs)
    for p in result.participants:
        for leaf in p.leaves:
            for value in (leaf.self_value, leaf.target_value, leaf.org_value):
                assert 0 <= value <= leaf.points
        assert p.final <= 100 + inputs.settings.bonus_cap


def summed_up(entries):
    """The entries as the database hands them to the engine: one LeafScores per
    participant and leaf, each source's values summed up (`scoring.inputs`)."""
    values = {}
    for e in entries:
        values.setdefault((e.participant_id, e.leaf_code), {}).setdefault(e.source, []).append(
            e.value
        )
    return tuple(
        LeafScores(pid, code, **{source.value: summarise(v) for source, v in found.items()})
        for (pid, code), found in values.items()
    )


@given(
    st.lists(
        st.decimals(min_value=0, max_value=100, places=2, allow_nan=False), min_size=1, max_size=12
    ),
    st.integers(min_value=3, max_value=8),
)
def test_the_trimmed_mean_of_summed_up_values_is_the_mean_of_the_values_kept(values, trim):
    """SPEC §3.2: with one highest and one lowest dropped, the rest sum to
    total − lowest − highest — so count, sum, min and max are all the mean needs."""
    kept = sorted(values)[1:-1] if len(values) >= trim else values
    assert trimmed_mean(summarise(values), trim) == sum(kept, D(0)) / len(kept)
    assert rater_mean(values, trim) == trimmed_mean(summarise(values), trim)


@given(random_cycles())
def test_scores_summed_up_by_the_database_give_exactly_the_results_of_the_entries(inputs):
    """SPEC §3.2: the engine reads the raters' values one by one or summed up per
    participant and leaf (as `scoring.inputs` loads them), with the same results; split
    between the two, they are added up."""
    expected = compute(inputs)
    assert compute(replace(inputs, entries=(), scores=summed_up(inputs.entries))) == expected
    half = len(inputs.entries) // 2
    mixed = replace(inputs, entries=inputs.entries[half:], scores=summed_up(inputs.entries[:half]))
    assert compute(mixed) == expected


def test_a_summed_up_value_outside_the_leafs_points_is_refused():
    """SPEC §3.2: values lie in [0, points], whichever way they come in."""
    scores = (LeafScores("P1", "1.1", self=RaterStats(2, D(130), D(60), D(70))),)
    inputs = CycleInputs(tree(), (person("P1"),), scores=scores)
    with pytest.raises(ValueError, match="70 outside"):
        compute(inputs)
