"""compute_cycle (DESIGN §3): inputs in a fixed number of queries, a new result version
swapped in only if the inputs did not change meanwhile, recompute after every change,
the review/publish guards (issue 4), publication pins the results, visibility."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus
from core.bulk import copy_rows, reserve_ids
from indicators.starter import install_starter_templates
from scoring import engine, services
from scoring.inputs import load_inputs
from scoring.models import (
    GradeOverride,
    LeafResult,
    Result,
    ResultSheet,
    ResultVersion,
    ScoreEntry,
    Source,
)
from scoring.services import compute_cycle, enter_score
from tests.factories import (
    OrgUnitFactory,
    SecretaryFactory,
    complete_scoring,
    fresh_cycle,
    open_seed_cycle,
)

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a, direct=())


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def fresh(cycle):
    return Cycle.objects.get(pk=cycle.pk)


def rating_leaf(cycle):
    """The first `rating` leaf, scored directly (setup: its behaviour anchors removed)."""
    leaf = cycle.frozen_template.nodes.filter(method="rating").order_by("sort_key").first()
    leaf.bars_levels.all().delete()
    return leaf


def test_results_are_stored_as_the_engine_computes_them(world, cycle):
    """DESIGN §3: the stored version holds every participant and leaf, exactly."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    version = ResultVersion.objects.get(cycle=cycle, is_current=True)
    expected = engine.compute(load_inputs(cycle))
    assert version.inputs_version == cycle.inputs_version
    assert (version.n, version.quota, version.top, version.bottom) == (
        expected.n,
        expected.quota,
        expected.top,
        expected.bottom,
    )
    rows = {str(r.participant_id): r for r in Result.objects.filter(version=version)}
    assert len(rows) == 3
    for one in expected.participants:
        row = rows[one.participant_id]
        assert (row.self_total, row.target_total, row.org_total) == (
            one.self_total,
            one.target_total,
            one.org_total,
        )
        assert (row.composite, row.final, row.rank, row.grade, row.tier, row.pay) == (
            one.composite,
            one.final,
            one.rank,
            one.grade,
            one.tier or "",
            one.pay,
        )
        leaves = {
            lr.leaf.code: (lr.self_value, lr.target_value, lr.org_value)
            for lr in LeafResult.objects.filter(sheet=row.sheet_id).select_related("leaf")
        }
        assert leaves == {
            leaf.code: (leaf.self_value, leaf.target_value, leaf.org_value) for leaf in one.leaves
        }


def test_inputs_load_with_a_fixed_number_of_queries(world, cycle):
    """DESIGN §3: no per-participant queries — 3 or 13 participants, the same count."""
    with CaptureQueriesContext(connection) as few:
        load_inputs(fresh(cycle))
    for i in range(10):
        community = OrgUnitFactory(
            code=f"QA19{i}", name=f"新社区{i}", kind="community", parent=world.town_a
        )
        cycles.enrol_secretary(
            actor=None,
            cycle=cycle,
            secretary=SecretaryFactory(community=community, name=f"新书记{i}"),
        )
    complete_scoring(cycle, world.county_assessor_a)
    with CaptureQueriesContext(connection) as many:
        inputs = load_inputs(fresh(cycle))
    assert len(inputs.participants) == 13 and inputs.scores
    assert len(many.captured_queries) == len(few.captured_queries)


def test_results_already_current_are_not_computed_again(world, cycle):
    cycle = complete_scoring(cycle, world.county_assessor_a)
    first = services.current_results(cycle)
    assert compute_cycle(cycle.pk) == first
    assert ResultVersion.objects.filter(cycle=cycle).count() == 1


def test_a_version_whose_inputs_changed_meanwhile_is_discarded(world, cycle, monkeypatch):
    """DESIGN §3: swap only if inputs_version is still the one read; the previous version
    stays current and nothing of the discarded one remains."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    before = services.current_results(cycle)
    cycles.mark_inputs_changed(cycle)
    real_compute = engine.compute

    def compute_while_someone_writes(inputs):
        outcome = real_compute(inputs)
        cycles.mark_inputs_changed(cycle)  # another user's score lands meanwhile
        return outcome

    monkeypatch.setattr(services.engine, "compute", compute_while_someone_writes)
    assert compute_cycle(cycle.pk) is None
    assert services.current_results(cycle) == before
    assert ResultVersion.objects.filter(cycle=cycle).count() == 1
    assert services.results_are_stale(fresh(cycle))


def test_every_score_marks_results_stale_and_recomputes_after_commit(
    world, cycle, django_capture_on_commit_callbacks
):
    """DESIGN §3: a write bumps inputs_version; the recompute runs once it commits."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    leaf = rating_leaf(cycle)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enter_score(
            actor=world.secretary_a1, participant=me, leaf=leaf, source=Source.SELF, value="1"
        )
    assert services.results_are_stale(fresh(cycle))
    assert callbacks
    with django_capture_on_commit_callbacks(execute=True):  # what they queue runs too
        for callback in callbacks:
            callback()
    version = services.current_results(cycle)
    assert not services.results_are_stale(fresh(cycle), version)
    row = Result.objects.get(version=version, participant=me)
    assert LeafResult.objects.get(sheet=row.sheet_id, leaf=leaf).self_value == D(1)


def test_settings_changes_mark_results_stale(world, cycle):
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycles.update_cycle(actor=None, cycle=cycle, version=cycle.version, pay_base=D(50000))
    assert services.results_are_stale(fresh(cycle))
    version = compute_cycle(cycle.pk)
    assert Result.objects.filter(version=version, pay__isnull=False).exists()


def test_old_versions_are_pruned_in_a_fixed_number_of_statements(
    world, cycle, monkeypatch, django_assert_max_num_queries
):
    cycle = complete_scoring(cycle, world.county_assessor_a)
    monkeypatch.setattr(services, "_drop_old_versions", lambda cycle: None)
    for _ in range(4):
        cycles.mark_inputs_changed(cycle)
        compute_cycle(cycle.pk)
    monkeypatch.undo()
    assert ResultVersion.objects.filter(cycle=cycle).count() == 5
    kept = ResultVersion.objects.filter(cycle=cycle).order_by("-pk")[
        : 1 + services.KEEP_OLD_VERSIONS
    ]
    leaves_kept = LeafResult.objects.filter(sheet__results__version__in=list(kept)).count()
    with django_assert_max_num_queries(8):
        services._drop_old_versions(cycle)
    # Sheets a kept version still uses (with their leaves) stay.
    assert LeafResult.objects.filter(sheet__results__version__in=list(kept)).count() == leaves_kept
    assert ResultVersion.objects.filter(cycle=cycle).count() == 1 + services.KEEP_OLD_VERSIONS
    assert ResultVersion.objects.filter(cycle=cycle, is_current=True).count() == 1
    # Their leaf rows went with them (no database cascade keeps them in order).
    assert not LeafResult.objects.exclude(sheet__in=Result.objects.values("sheet")).exists()
    assert not ResultSheet.objects.exclude(pk__in=Result.objects.values("sheet")).exists()


def test_text_and_lists_are_stored_as_they_are_whatever_characters_they_hold(world, cycle):
    """DESIGN §3: result rows are copied in bulk (PostgreSQL's COPY): tabs, line breaks,
    backslashes, quotes and Chinese in a warning come back unchanged."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    version = services.current_results(cycle)
    outcome = engine.compute(load_inputs(cycle))
    odd = ("制表\t符", "换行\n之后", "反斜杠\\n 不是换行", '引号"与\r回车', "\\N")
    one = replace(outcome.participants[0], warnings=odd)
    Result.objects.filter(version=version, participant_id=int(one.participant_id)).delete()
    (result_id,) = reserve_ids(Result, 1)
    copy_rows(
        Result,
        services.RESULT_COLUMNS,
        [services._result_row(cycle, version, result_id, result_id, one)],
    )
    stored = Result.objects.get(pk=result_id)
    assert stored.warnings == list(odd)
    assert (stored.final, stored.grade, stored.pay) == (one.final, one.grade, one.pay)


def test_a_draft_cycle_has_nothing_to_compute(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    draft = cycles.create_cycle(
        actor=None, county=world.county_a, name="草稿", year=2027, template=made[0]
    )
    assert compute_cycle(draft.pk) is None
    assert not ResultVersion.objects.filter(cycle=draft).exists()


def test_grade_overrides_reach_the_engine(world, cycle):
    """SPEC §3.5: an assessor's grade with its reason replaces the rule grade."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    GradeOverride.objects.create(
        participant=me, grade="基本合格", reason="考虑到年中调任", actor=world.county_assessor_a
    )
    cycles.mark_inputs_changed(cycle)
    row = Result.objects.get(version=compute_cycle(cycle.pk), participant=me)
    assert (row.grade, row.override_reason) == ("基本合格", "考虑到年中调任")
    # The rule's own grade is kept beside it (合格: 80 % of every rating leaf plus a
    # full survey — complete_scoring keys K 满意 paper ballots per community).
    assert row.rule_grade == "合格" and row.final >= cycle.threshold_qualified


# ------------------------------------------------------------- review/publish guards


def to_scoring(cycle):
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


def test_review_needs_current_results(world, cycle):
    """Issue 4: cannot go to 公示 while results are missing or stale."""
    cycle = to_scoring(cycle)
    with pytest.raises(ValidationError, match="考核结果尚未计算"):
        cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycles.mark_inputs_changed(cycle)
    with pytest.raises(ValidationError, match="考核结果待更新"):
        cycles.transition(
            actor=None, cycle=fresh(cycle), name="start_review", version=cycle.version
        )
    compute_cycle(cycle.pk)
    moved = cycles.transition(
        actor=None, cycle=fresh(cycle), name="start_review", version=cycle.version
    )
    assert moved.status == CycleStatus.REVIEW


def test_review_lists_the_missing_scores(world, cycle):
    """Issue 4: the guard shows what is missing: who, which source, which leaves."""
    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    leaf = rating_leaf(cycle)
    ScoreEntry.objects.filter(participant=me, leaf=leaf, source=Source.ORG).delete()
    cycles.mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)
    with pytest.raises(ValidationError) as refused:
        cycles.transition(
            actor=None, cycle=fresh(cycle), name="start_review", version=cycle.version
        )
    assert refused.value.messages == [f"甲书记（城东社区）：组织考评缺 {leaf.code}。"]
    shown = cycles.blockers(fresh(cycle), "start_review")
    assert shown == refused.value.messages


def test_review_lists_the_first_incomplete_and_counts_the_rest(world, cycle, monkeypatch):
    """Issue 4 at county size: the first `MISSING_LISTED` participants (by community and
    staff number) are named, the rest counted; only their entries are read."""
    from scoring import guards

    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    leaf = rating_leaf(cycle)
    ScoreEntry.objects.filter(participant__cycle=cycle, leaf=leaf, source=Source.TARGET).delete()
    cycles.mark_inputs_changed(cycle)
    monkeypatch.setattr(guards, "MISSING_LISTED", 1)
    named = f"甲书记（城东社区）：目标量评缺 {leaf.code}。"
    counted = "另有 2 位书记的评分不完整，详见评分表。"
    # Stale results: counted from the entries.
    assert {named, counted} <= set(cycles.blockers(fresh(cycle), "start_review"))
    # Current results say the same from their rows (the engine's warnings).
    compute_cycle(cycle.pk)
    assert {named, counted} <= set(cycles.blockers(fresh(cycle), "start_review"))


def test_stale_results_count_only_the_changed_participants_again(world, cycle):
    """While results are stale, the gaps of the participants whose inputs did not change
    are read from the stale rows and only the changed ones are counted from their entries
    — the same as counting everyone; a change of unknown reach counts everyone."""
    from scoring import guards

    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    compute_cycle(cycle.pk)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    leaf = rating_leaf(cycle)
    ScoreEntry.objects.filter(participant=me, leaf=leaf, source=Source.ORG).delete()
    cycles.mark_inputs_changed(cycle, participants=[me])
    cycle = fresh(cycle)
    assert services.results_are_stale(cycle)
    with CaptureQueriesContext(connection) as queries:
        found = guards._gaps(cycle)
    assert found == guards._counted_gaps(cycle)
    assert found[me.pk] == [(Source.ORG, [leaf.code])]
    entries = [q["sql"] for q in queries.captured_queries if "scoring_scoreentry" in q["sql"]]
    assert entries and all(f"IN ({me.pk})" in sql for sql in entries)
    assert guards.count_missing_scores(cycle, {Source.ORG: cycle.participants.all()}) == 1
    cycles.mark_inputs_changed(cycle)
    assert guards._known_gaps(fresh(cycle)) is None
    assert guards._gaps(fresh(cycle)) == found


def test_publication_pins_the_results(world, cycle):
    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    for name in ("start_review", "publish"):
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    version = services.current_results(cycle)
    assert version.is_published
    # A published cycle is never recomputed, whatever is asked.
    Cycle.objects.filter(pk=cycle.pk).update(inputs_version=cycle.inputs_version + 1)
    assert compute_cycle(cycle.pk) == version
    assert ResultVersion.objects.filter(cycle=cycle).count() == 1


def test_previous_published_grades_feed_the_consecutive_year_flags(world, cycle):
    """SPEC §3.5 across years: last year's published grade counts towards the flags."""
    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    for name in ("start_review", "publish"):
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    last_year = {r.participant.secretary_id: r.grade for r in Result.objects.current()}
    template = cycle.template
    next_cycle = cycles.create_cycle(
        actor=None, county=world.county_a, name="2027年度考核", year=2027, template=template
    )
    cycles.enrol_county(actor=None, cycle=next_cycle)
    inputs = load_inputs(next_cycle)
    assert {p.staff_no: p.previous_grades for p in inputs.participants} == {
        s.staff_no: (last_year[s.pk],)
        for s in (world.secretaries["a1"], world.secretaries["a2"], world.secretaries["b1"])
    }


# ------------------------------------------------------------------------- visibility


def test_a_secretary_sees_own_results_only_from_review_on(world, cycle):
    """Issue 5: secretaries see their own results only in 公示中 and 已发布."""
    cycle = to_scoring(complete_scoring(cycle, world.county_assessor_a))
    mine = Result.objects.for_user(world.secretary_a1)
    assert not mine.exists()
    assert Result.objects.for_user(world.town_assessor_a).count() == 2
    assert Result.objects.for_user(world.county_assessor_a).count() == 3
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    assert [r.participant.secretary.user for r in Result.objects.for_user(world.secretary_a1)] == [
        world.secretary_a1
    ]
    assert not Result.objects.for_user(world.outsider_b).filter(
        participant__community=world.community_a1
    )


# ------------------------------------------------------------------ counted metrics


def test_the_certificate_data_feeds_the_cert_rate_metric(world, cycle):
    """Issue 4: 社工证 and its date feed a 持证率 metric per community (a counted metric),
    which the `target` leaf reads (SPEC §3.1)."""
    from datetime import date

    from org.models import Secretary

    Secretary.objects.filter(pk=world.secretaries["a1"].pk).update(
        has_social_work_certificate=True, certificate_date=date(2021, 5, 1)
    )
    Secretary.objects.filter(pk=world.secretaries["b1"].pk).update(
        has_social_work_certificate=True,
        certificate_date=date(2027, 1, 1),  # after the year
    )
    inputs = load_inputs(fresh(cycle))
    rates = {(m.community, m.key): m.value for m in inputs.metrics}
    assert rates[("QA101", "cert_rate")] == D(100)
    assert rates[("QA102", "cert_rate")] == D(0)
    assert rates[("QA201", "cert_rate")] == D(0)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    leaf = cycle.frozen_template.nodes.get(metric_key="cert_rate")
    version = services.current_results(cycle)
    values = {
        r.participant.secretary.staff_no: r.leaves.get(leaf=leaf).target_value
        for r in Result.objects.filter(version=version)
    }
    assert values == {"SA1": leaf.points, "SA2": D(0), "SB1": D(0)}
    row = Result.objects.get(version=version, participant__secretary=world.secretaries["a1"])
    assert not any("cert_rate" in warning for warning in row.warnings)


def test_a_failing_recompute_does_not_undo_or_fail_the_change(
    world, cycle, monkeypatch, django_capture_on_commit_callbacks
):
    """SPEC §5: with the broker down the score is still saved; results stay 待更新."""

    def broker_down(cycle_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(cycles, "INPUTS_LISTENERS", [broker_down])
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    with django_capture_on_commit_callbacks(execute=True):
        enter_score(
            actor=world.secretary_a1,
            participant=me,
            leaf=rating_leaf(cycle),
            source=Source.SELF,
            value="1",
        )
    assert ScoreEntry.objects.filter(participant=me).exists()
    assert services.results_are_stale(fresh(cycle))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_the_planner_knows_a_new_version_once_it_is_committed(
    world, cycle, django_capture_on_commit_callbacks
):
    """Each recompute ANALYZEs the result rows' version column after its commit: the
    planner otherwise takes the newest version for one row (it is newer than the
    statistics) and reads a city's results in nested loops."""
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycles.mark_inputs_changed(cycle)
    with django_capture_on_commit_callbacks(execute=True):
        version = compute_cycle(cycle.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats"
            " WHERE tablename = %s AND attname = 'version_id'",
            [Result._meta.db_table],
        )
        (known,) = cursor.fetchone()
    assert str(version.pk) in known.strip("{}").split(",")
