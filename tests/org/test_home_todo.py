"""待办 on the home page (issue 14, guidance): every role lands on its next task — each
line a link and a count (or a state), from the apps that hold the work."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services as cycles
from evidence.events import services as events
from evidence.filings import services as filings
from reports.models import Job, JobKind, JobState
from scoring.models import ScoreEntry, Source
from scoring.selfeval import services as selfeval
from scoring.services import compute_cycle
from surveys.tallies import services as tallies
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def todo(client):
    """{label: (count or state, url)} of the home page's 待办."""
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {
        str(t.label): (t.count if t.count is not None else str(t.detail), t.url)
        for t in response.context["todos"]
    }


def test_a_secretary_is_led_to_the_self_evaluation_and_the_records(world, cycle, login):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    client = login(world.secretary_a1)
    lines = todo(client)
    assert lines["自我检评"] == ("未开始", reverse("selfeval", args=[a1.pk]))
    assert lines["民情直报：记民情日记、报网格事件"][1] == reverse("records-home")
    selfeval.save_self_evaluation(
        actor=world.secretary_a1, participant=a1, items={}, summary="初稿", version=None
    )
    assert todo(client)["自我检评"][0] == "草稿，尚未提交"
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="todo-item"' in html and "todo-big" in html


def test_a_returned_self_evaluation_shows_the_reason(world, cycle, login):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    selfeval.save_self_evaluation(
        actor=world.secretary_a1, participant=a1, items={}, summary="初稿", version=None
    )
    a1.refresh_from_db()
    selfeval.submit_self_evaluation(
        actor=world.secretary_a1, participant=a1, version=a1.self_evaluation.version
    )
    assert todo(login(world.county_assessor_a))["已提交的自我检评"][0] == 1
    a1.refresh_from_db()
    selfeval.return_self_evaluation(
        actor=world.county_assessor_a,
        participant=a1,
        reason="请补充党建工作佐证",
        version=a1.self_evaluation.version,
    )
    assert todo(login(world.secretary_a1))["自我检评"][0] == "已退回：请补充党建工作佐证"


def test_assessors_are_led_to_events_filings_and_paper_counts(world, cycle, login):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    events.report_event(
        actor=world.county_assessor_a,
        participant=a1,
        event_type=cycle.frozen_template.event_types.get(code="ZJXF"),
        occurred_on=date(2026, 4, 1),
        description="信访一件",
    )
    filings.file_reform(
        actor=world.secretary_a1, participant=a1, title="试点", description="举措", risks="风险"
    )
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")
    for person, n in ((world.county_assessor_a, 5), (world.admin_a, 6)):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=world.community_a1,
            category=residents,
            counts={"satisfied": n, "basic": 0, "unsatisfied": 0, "unknown": 0},
        )
    town = todo(login(world.town_assessor_a))
    url = reverse("event-list", args=[cycle.pk]) + "?status=reported"
    assert town["待核实的事项"] == (1, url)
    assert "待审批的改革风险备案" not in town  # the county decides filings
    assert town["纸质票录入不一致"] == (1, reverse("paper-tallies", args=[cycle.pk]))
    county = todo(login(world.county_assessor_a))
    assert "待核实的事项" not in county  # four eyes: their own report
    assert county["待审批的改革风险备案"] == (1, reverse("filing-list", args=[cycle.pk]))
    assert "待核实的事项" not in todo(login(world.observer_a))  # observers do not decide


def test_paper_counts_waiting_for_a_second_keying_are_shown_to_the_others(world, cycle, login):
    """Double entry: a count keyed once waits for someone else (not its keyer); two equal
    keyings count and ask nothing; two different ones disagree."""
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")

    def key(person, community, n):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=community,
            category=residents,
            counts={"satisfied": n, "basic": 1, "unsatisfied": 0, "unknown": 0},
        )

    key(world.county_assessor_a, world.community_a2, 4)  # once: waits
    key(world.county_assessor_a, world.community_a1, 7)  # twice, equal: counted
    key(world.admin_a, world.community_a1, 7)
    town = todo(login(world.town_assessor_a))
    assert town["纸质票等待第二人录入"] == (1, reverse("paper-tallies", args=[cycle.pk]))
    assert "纸质票录入不一致" not in town
    keyer = todo(login(world.county_assessor_a))
    assert "纸质票等待第二人录入" not in keyer  # their own keying waits for someone else
    key(world.town_assessor_a, world.community_a2, 5)  # a second, different keying
    assert todo(login(world.admin_a))["纸质票录入不一致"][0] == 1


def test_scoring_shows_who_still_misses_scores(world, cycle, login):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    line = todo(login(world.county_assessor_a))["评分未录完的书记"]
    assert line == (cycle.participants.count(), reverse("score-grid", args=[cycle.pk]))
    assert "评分未录完的书记" not in todo(login(world.observer_a))


def give_scores(cycle, rater, source, participants):
    leaves = cycle.frozen_template.nodes.filter(method="rating", children__isnull=True)
    ScoreEntry.objects.bulk_create(
        ScoreEntry(participant=p, leaf=leaf, source=source, rater=rater, value=leaf.points)
        for p in participants
        for leaf in leaves
    )


def settle(cycle, computed):
    """With `computed`, the results are current (their rows say who lacks what); else
    stale (the gaps are counted from the entries)."""
    cycles.mark_inputs_changed(cycle)
    if computed:
        compute_cycle(cycle.pk)


@pytest.mark.parametrize("computed", [False, True])
def test_missing_scores_count_only_the_sources_the_reader_enters(world, cycle, login, computed):
    """A town assessor entering 目标量评 (the cycle lets towns enter it) is told about
    their own town's 目标量评 gaps, not about 组织考评, which the county fills."""
    cycle = cycles.update_cycle(actor=None, cycle=cycle, version=cycle.version, target_entry="town")
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    settle(cycle, computed)
    town = cycle.participants.filter(community__parent=world.town_a)
    assert 0 < town.count() < cycle.participants.count()
    url = reverse("score-grid", args=[cycle.pk])
    assert todo(login(world.town_assessor_a))["评分未录完的书记"] == (town.count(), url)
    give_scores(cycle, world.town_assessor_a, Source.TARGET, town)
    settle(cycle, computed)
    assert "评分未录完的书记" not in todo(login(world.town_assessor_a))
    response = login(world.county_assessor_a).get(reverse("home"))
    (line,) = [t for t in response.context["todos"] if t.label == "评分未录完的书记"]
    assert line.count == cycle.participants.count()
    assert line.detail == f"{cycle.name}：缺组织考评"
    give_scores(cycle, world.county_assessor_a, Source.ORG, cycle.participants.all())
    settle(cycle, computed)
    assert "评分未录完的书记" not in todo(login(world.county_assessor_a))


def home_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    # Scores are counted in the database, never read row by row.
    for query in queries.captured_queries:
        assert 'FROM "scoring_scoreentry"' not in query["sql"] or "COUNT(" in query["sql"]
    return len(queries)


def test_the_home_page_does_not_read_more_as_the_county_fills_in(world, cycle, login):
    """The 待办 card counts in the database: the home page makes as many queries with
    every score, event and paper count in as with none."""
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    readers = ("secretary_a1", "town_assessor_a", "county_assessor_a", "admin_a")

    def queries():
        return {who: home_queries(login(getattr(world, who))) for who in readers}

    before = queries()
    complete_scoring(cycle, world.county_assessor_a)
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    events.report_event(
        actor=world.town_assessor_a,
        participant=a1,
        event_type=cycle.frozen_template.event_types.get(code="ZJXF"),
        occurred_on=date(2026, 4, 1),
        description="越级上访一次",
    )
    after = queries()
    # The admin's page also lists the last 8 audit entries, whose cost depends on how
    # many kinds of object they name (bounded by the page, not by the county).
    # The others read no more: the count of missing scores takes the same few queries
    # (fewer, once results exist and only the changed participants are counted again).
    assert all(after[k] <= before[k] for k in readers if k != "admin_a"), (before, after)
    # A bound per reader, so a new line that reads per row shows up here.
    assert after["secretary_a1"] <= 20 and max(before.values()) <= 50, before
    assert max(after.values()) <= 60, after


def test_an_admin_sees_failed_jobs_and_an_empty_list_says_so(world, cycle, login):
    Job.objects.create(
        kind=JobKind.IMPORT_PREVIEW,
        county=world.county_a,
        requested_by=world.admin_a,
        state=JobState.FAILED,
        upload_name="县数据.xlsx",
    )
    assert todo(login(world.admin_a))["失败的任务"] == (1, reverse("job-list") + "?state=failed")
    html = login(world.outsider_b).get(reverse("home")).content.decode()
    assert 'data-testid="todo"' in html
