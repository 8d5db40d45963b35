"""Incremental recompute (DESIGN §3, issue 16): when every change since the current
version names the participants it touched, `compute_cycle` scores only those again,
keeps everyone else's stored scores and leaf sheet, and ranks the whole cycle anew.
Whatever the changes, the version it stores equals a full computation of the same
inputs — every result column, every leaf value, the version's counts and warnings."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment import services as cycles
from assessment.models import Cycle, InputChange
from evidence.events import services as events
from evidence.models import Event, MetricValue
from evidence.records.services import set_metric_value
from indicators.models import EventType
from scoring import engine, services
from scoring.inputs import load_inputs
from scoring.models import GradeOverride, LeafResult, Result, ResultSheet, ScoreEntry, Source
from scoring.results.services import clear_override, override_grade
from scoring.services import compute_cycle, current_results, enter_score, withdraw_score
from tests.factories import (
    complete_scoring,
    enrol_in_bulk,
    fresh_cycle,
    grow_county,
    open_seed_cycle,
)

pytestmark = pytest.mark.usefixtures("shared_world")

# Participants in the cycle: the world's three plus these, so a change of one of them is
# well under the share above which a full computation is chosen.
GROWN = 13


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a, direct=())
    enrol_in_bulk(cycle, grow_county(shared_world.county_a, GROWN, towns=3, prefix="I"))
    for leaf in cycle.frozen_template.nodes.filter(method="rating"):
        leaf.bars_levels.all().delete()  # every rating leaf takes a number
    return complete_scoring(cycle, shared_world.county_assessor_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def participants(cycle):
    return list(cycle.participants.select_related("secretary").order_by("pk"))


def rating_leaves(cycle):
    return list(cycle.frozen_template.nodes.filter(method="rating").order_by("sort_key"))


def sheets():
    return ResultSheet.objects.count()


def assert_same_as_a_full_computation(cycle):
    """The current version, row by row and leaf by leaf, against `engine.compute` of
    the cycle's inputs as they are now."""
    cycle = Cycle.objects.get(pk=cycle.pk)
    version = current_results(cycle)
    assert version.inputs_version == cycle.inputs_version
    expected = engine.compute(load_inputs(cycle))
    assert (version.n, version.quota, version.top, version.bottom) == (
        expected.n,
        expected.quota,
        expected.top,
        expected.bottom,
    )
    assert version.warnings == list(expected.warnings)
    assert [g["key"] or None for g in version.groups] == [g.key for g in expected.groups]
    stored = {
        row[2]: row
        for row in Result.objects.filter(version=version).values_list(*services.RESULT_COLUMNS)
    }
    assert sorted(stored) == sorted(int(one.participant_id) for one in expected.participants)
    for one in expected.participants:
        row = stored[int(one.participant_id)]
        result_id, sheet_id = row[0], row[3]
        assert row == services._result_row(cycle, version, result_id, sheet_id, one)
        leaves = {
            code: values
            for code, *values in LeafResult.objects.filter(sheet_id=sheet_id).values_list(
                "leaf__code", "self_value", "target_value", "org_value", "org_overridden", "basis"
            )
        }
        assert leaves == {
            leaf.code: [
                leaf.self_value,
                leaf.target_value,
                leaf.org_value,
                leaf.org_overridden,
                None if leaf.basis is None else leaf.basis.quantize(D("0.0001")),
            ]
            for leaf in one.leaves
        }


def test_one_changed_score_scores_one_participant_again(world, cycle):
    """One 目标量评 value changed: one new sheet, everyone re-ranked, all as a full
    computation gives."""
    last = participants(cycle)[-1]
    leaf = rating_leaves(cycle)[0]
    before = sheets()
    enter_score(
        actor=world.county_assessor_a,
        participant=last,
        leaf=leaf,
        source=Source.TARGET,
        value=leaf.points,
        version=ScoreEntry.objects.get(
            participant=last, leaf=leaf, source=Source.TARGET, rater=world.county_assessor_a
        ).version,
    )
    compute_cycle(cycle.pk)
    assert sheets() == before + 1
    assert_same_as_a_full_computation(cycle)


def test_a_newly_enrolled_secretary_is_scored_and_ranked(world, cycle):
    """A participant the current version does not hold is scored, whatever the record
    names; and nobody else is."""
    (newcomer,) = grow_county(world.county_a, 1, towns=1, prefix="N")
    before = sheets()
    cycles.enrol_secretary(actor=None, cycle=cycle, secretary=newcomer)
    compute_cycle(cycle.pk)
    assert sheets() == before + 1
    assert_same_as_a_full_computation(cycle)


@pytest.fixture
def full_computations(monkeypatch):
    """How many times a full computation (`engine.compute`) ran."""
    calls = []
    compute = engine.compute

    def counted(inputs):
        calls.append(len(inputs.participants))
        return compute(inputs)

    monkeypatch.setattr(engine, "compute", counted)
    return calls


def test_a_change_of_unknown_reach_scores_everyone(cycle, full_computations):
    """Everyone is scored again; whoever's leaf values came out as stored keeps their
    sheet (a change of weights or thresholds moves none)."""
    before = sheets()
    cycles.mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)
    assert full_computations == [len(participants(cycle))]
    assert sheets() == before
    assert_same_as_a_full_computation(cycle)


def test_a_full_computation_writes_new_sheets_only_for_changed_leaf_values(
    world, cycle, full_computations
):
    last = participants(cycle)[-1]
    leaf = rating_leaves(cycle)[0]
    ScoreEntry.objects.filter(
        participant=last, leaf=leaf, source=Source.TARGET, rater=world.county_assessor_a
    ).update(value=leaf.points)
    before = sheets()
    cycles.mark_inputs_changed(cycle)  # no participant named: a full computation
    compute_cycle(cycle.pk)
    assert full_computations == [len(participants(cycle))]
    assert sheets() == before + 1
    assert Result.objects.get(version=current_results(cycle), participant=last).sheet_id > max(
        Result.objects.filter(version=current_results(cycle))
        .exclude(participant=last)
        .values_list("sheet_id", flat=True)
    )
    assert_same_as_a_full_computation(cycle)


def test_a_version_that_recorded_nothing_scores_everyone(world, cycle, full_computations):
    """A bump of `inputs_version` without its change record (made before the records
    existed, or by a path that forgot) cannot be trusted to name its participants."""
    first = participants(cycle)[0]
    cycles.mark_inputs_changed(cycle, participants=[first])
    InputChange.objects.filter(cycle=cycle).delete()
    compute_cycle(cycle.pk)
    assert full_computations == [len(participants(cycle))]
    assert_same_as_a_full_computation(cycle)


def test_changes_of_many_participants_are_scored_in_full(cycle, full_computations):
    """Above `RESCORE_SHARE` of the participants a full computation is as quick."""
    some = participants(cycle)[:8]
    cycles.mark_inputs_changed(cycle, participants=some)
    compute_cycle(cycle.pk)
    assert full_computations == [len(participants(cycle))]
    assert_same_as_a_full_computation(cycle)


def test_a_veto_moves_one_participant_to_the_bottom_and_back(world, cycle):
    """SPEC §3.3/§3.5: a verified veto event (its reasons kept through the stored rows
    while someone else changes), then the event reopened (待核实: it counts no more)."""
    top = Result.objects.filter(version=current_results(cycle), rank=1).first().participant
    veto = EventType.objects.get(template=cycle.frozen_template, code="WJXW")
    event = events.report_event(
        actor=world.county_assessor_a,
        participant=top,
        event_type=veto,
        occurred_on=date(2026, 4, 1),
        description="违纪",
    )
    event = events.verify_event(actor=world.admin_a, event=event, version=event.version)
    before = sheets()
    compute_cycle(cycle.pk)
    assert sheets() == before + 1
    assert_same_as_a_full_computation(cycle)
    assert Result.objects.get(version=current_results(cycle), participant=top).veto
    # Someone else changes next: the vetoed participant's stored reasons carry over.
    other = participants(cycle)[0] if participants(cycle)[0] != top else participants(cycle)[1]
    cycles.set_grading(
        actor=None, participant=other, version=other.version, is_graded=False, reason="新任"
    )
    compute_cycle(cycle.pk)
    assert_same_as_a_full_computation(cycle)
    event = Event.objects.get(pk=event.pk)
    events.reopen_event(actor=world.admin_a, event=event, version=event.version, reason="重核")
    compute_cycle(cycle.pk)
    assert_same_as_a_full_computation(cycle)


# ------------------------------------------------------- any sequence of changes

CHANGE = st.tuples(
    st.sampled_from(["score", "withdraw", "override", "clear", "grading", "metric"]),
    st.integers(min_value=0, max_value=GROWN + 2),  # which participant
    st.integers(min_value=0, max_value=100),  # a share of the points, a leaf, a grade
)


def apply(world, cycle, kind, who, pick):
    """One change through the services; a change the rules refuse changes nothing."""
    people = participants(cycle)
    participant = people[who % len(people)]
    leaves = rating_leaves(cycle)
    leaf = leaves[pick % len(leaves)]
    rater = world.county_assessor_a
    entry = ScoreEntry.objects.filter(
        participant=participant, leaf=leaf, source=Source.TARGET, rater=rater
    ).first()
    try:
        if kind == "score":
            value = (leaf.points * pick / 100).quantize(D("0.01"))
            enter_score(
                actor=rater,
                participant=participant,
                leaf=leaf,
                source=Source.TARGET,
                value=value,
                version=entry.version if entry else None,
            )
        elif kind == "withdraw" and entry is not None:
            withdraw_score(
                actor=rater,
                participant=participant,
                leaf=leaf,
                source=Source.TARGET,
                version=entry.version,
            )
        elif kind == "override":
            grade = cycle.grade_labels[pick % 4]
            override = GradeOverride.objects.filter(participant=participant).first()
            override_grade(
                actor=world.admin_a,
                participant=participant,
                grade=grade,
                reason="调",
                version=override.version if override else None,
            )
        elif kind == "clear":
            override = GradeOverride.objects.filter(participant=participant).first()
            if override is not None:
                clear_override(
                    actor=world.admin_a, participant=participant, version=override.version
                )
        elif kind == "grading":
            cycles.set_grading(
                actor=None,
                participant=participant,
                version=participant.version,
                is_graded=pick % 2 == 0,
                reason="新任",
            )
        elif kind == "metric":
            current = MetricValue.objects.filter(
                cycle=cycle, community=participant.community, key="service_coverage"
            ).first()
            set_metric_value(
                actor=world.county_assessor_a,
                cycle=cycle,
                community=participant.community,
                key="service_coverage",
                value=str(pick),
                version=current.version if current else None,
            )
    except ValidationError:
        pass


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.lists(CHANGE, min_size=1, max_size=4))
def test_any_changes_give_what_a_full_computation_gives(world, cycle, changes):
    """Property: after any sequence of named changes, computed once (incrementally) or
    after each change, the current version equals a full computation."""
    with transaction.atomic():
        for kind, who, pick in changes:
            apply(world, cycle, kind, who, pick)
            if pick % 3 == 0:  # sometimes several changes share one recompute
                compute_cycle(cycle.pk)
        compute_cycle(cycle.pk)
        assert_same_as_a_full_computation(cycle)
        transaction.set_rollback(True)
