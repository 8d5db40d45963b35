"""工作台 (the county dashboard): a cycle's progress at a glance for its staff — each
figure counted over the reader's scope, each a link to where the work is done, and the
page as cheap for a city as for a county (SPEC §1, §6)."""

import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Participant
from evidence.events import services as events
from evidence.filings import services as filings
from evidence.models import Event, MetricValue, ReformFiling
from indicators.models import MetricDefinition
from org.models import OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role
from reports.bulletins.services import generate_bulletin, issue_bulletin
from reports.models import Job, JobKind, JobState
from scoring.models import ScoreEntry, SelfEvaluation, SelfEvaluationStatus, Source
from scoring.selfeval import services as selfeval
from scoring.services import compute_cycle
from tests.factories import (
    MembershipFactory,
    UserFactory,
    complete_scoring,
    fresh_cycle,
    open_seed_cycle,
    password_hash,
)

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def participant(cycle, world, key):
    return cycle.participants.get(secretary=world.secretaries[key])


def leaves(cycle, **filters):
    return cycle.frozen_template.nodes.filter(children__isnull=True, **filters)


def give_scores(cycle, rater, source, participants, **leaf_filters):
    ScoreEntry.objects.bulk_create(
        ScoreEntry(participant=p, leaf=leaf, source=source, rater=rater, value=0)
        for p in participants
        for leaf in leaves(cycle, **leaf_filters)
    )


def submit(world, key, p):
    user = world.secretaries[key].user
    selfeval.save_self_evaluation(actor=user, participant=p, items={}, summary="初稿", version=None)
    p.refresh_from_db()
    selfeval.submit_self_evaluation(actor=user, participant=p, version=p.self_evaluation.version)
    p.refresh_from_db()
    return p


@pytest.fixture
def scenario(world, cycle):
    """城关镇: 甲 (a1) submitted, with every 自评 value, 目标量评 and 组织考评 complete, a
    pending event and a pending filing; 乙 (a2) returned, 目标量评 complete. 东湖街道: 丙
    (b1) not started, a pending event. One entered metric value."""
    a1, a2, b1 = (participant(cycle, world, key) for key in ("a1", "a2", "b1"))
    submit(world, "a1", a1)
    a2 = submit(world, "a2", a2)
    selfeval.return_self_evaluation(
        actor=world.county_assessor_a,
        participant=a2,
        reason="请补充佐证",
        version=a2.self_evaluation.version,
    )
    give_scores(cycle, world.secretary_a1, Source.SELF, [a1])
    give_scores(cycle, world.county_assessor_a, Source.TARGET, [a1, a2], method="rating")
    give_scores(cycle, world.county_assessor_a, Source.ORG, [a1], method="rating")
    zjxf = cycle.frozen_template.event_types.get(code="ZJXF")
    for p in (a1, b1):
        events.report_event(
            actor=world.county_assessor_a,
            participant=p,
            event_type=zjxf,
            occurred_on=date(2026, 4, 1),
            description="信访一件",
        )
    filings.file_reform(
        actor=world.secretary_a1, participant=a1, title="试点", description="举措", risks="风险"
    )
    key = entry_keys(cycle)[0]
    MetricValue.objects.create(cycle=cycle, community=world.community_a1, key=key, value=1)
    return cycle


def entry_keys(cycle):
    return list(
        MetricDefinition.objects.filter(template=cycle.frozen_template)
        .exclude(source=MetricDefinition.Source.COUNTED)
        .order_by("key")
        .values_list("key", flat=True)
    )


def board(client, cycle):
    response = client.get(reverse("cycle-dashboard", args=[cycle.pk]))
    assert response.status_code == 200
    return response.context["board"]


def figures(b):
    t = b.total
    return {
        "participants": t.participants,
        "not_started": t.not_started,
        "draft": t.draft,
        "returned": t.returned,
        "submitted": t.submitted,
        "self": t.self_complete,
        "target": t.target_complete,
        "org": t.org_complete,
        "events": t.events_pending,
        "filings": t.filings_pending,
    }


def test_the_county_sees_every_figure_of_the_county(world, scenario, login):
    cycle = scenario
    b = board(login(world.county_assessor_a), cycle)
    assert figures(b) == {
        "participants": 3,
        "not_started": 1,
        "draft": 0,
        "returned": 1,
        "submitted": 1,
        "self": 1,
        "target": 2,
        "org": 1,
        "events": 2,
        "filings": 1,
    }
    assert [(t.name, t.participants, t.events_pending) for t in b.towns] == [
        ("城关镇", 2, 1),
        ("东湖街道", 1, 1),
    ]
    n_keys = len(entry_keys(cycle))
    assert b.total.communities == 3
    assert b.metrics_fillable == 3 * n_keys
    assert b.metrics_missing == 3 * n_keys - 1
    assert b.total.metric_gaps == (3 if n_keys > 1 else 2)
    assert b.results == "none"
    assert b.jobs == []


def test_current_results_give_the_same_completeness_as_the_entries(world, scenario, login):
    """Issue 16: with current results the complete participants are counted from their
    rows (each warns of its participant's gaps), not from every rater's entries: the
    same figures, in total and per town."""

    def completeness(b):
        return [
            (t.name, t.self_complete, t.target_complete, t.org_complete)
            for t in (b.total, *b.towns)
        ]

    client = login(world.county_assessor_a)
    cycles.mark_inputs_changed(scenario)
    from_entries = board(client, scenario)
    compute_cycle(scenario.pk)
    from_results = board(client, scenario)
    assert from_results.results == "current"
    assert completeness(from_results) == completeness(from_entries)
    assert figures(from_results) == figures(from_entries)


def test_stale_results_count_only_the_changed_participants_from_the_entries(world, scenario, login):
    """While results are stale after a change to one participant, everyone else's gaps
    still come from the rows and only that participant is counted from the entries: the
    same figures as counting everyone from the entries."""

    def completeness(b):
        return [
            (t.name, t.self_complete, t.target_complete, t.org_complete)
            for t in (b.total, *b.towns)
        ]

    client = login(world.county_assessor_a)
    compute_cycle(scenario.pk)
    a2 = participant(scenario, world, "a2")
    give_scores(scenario, world.county_assessor_a, Source.ORG, [a2], method="rating")
    cycles.mark_inputs_changed(scenario, participants=[a2])
    with CaptureQueriesContext(connection) as queries:
        incremental = board(client, scenario)
    assert incremental.results == "stale"
    entries = [q["sql"] for q in queries.captured_queries if "scoring_scoreentry" in q["sql"]]
    assert entries and all(f"IN ({a2.pk})" in sql for sql in entries)
    cycles.mark_inputs_changed(scenario)  # reach unknown: everyone counted from the entries
    counted = board(client, scenario)
    assert completeness(incremental) == completeness(counted)
    assert figures(incremental) == figures(counted)
    assert incremental.total.org_complete == 2  # 甲 and now 乙


def test_each_figure_links_to_the_page_where_the_work_is_done(world, scenario, login):
    cycle = scenario
    response = login(world.county_assessor_a).get(reverse("cycle-dashboard", args=[cycle.pk]))
    html = response.content.decode()
    pk = cycle.pk
    for url in (
        reverse("selfeval-list", args=[pk]) + "?status=none",
        reverse("selfeval-list", args=[pk]) + "?status=returned",
        reverse("score-grid", args=[pk]) + "?source=target",
        reverse("event-list", args=[pk]) + "?status=reported",
        reverse("filing-list", args=[pk]) + "?status=pending",
        reverse("metric-grid", args=[pk]),
        reverse("survey-return-rates", args=[pk]),
        reverse("ranking", args=[pk]),
        reverse("bulletin-list", args=[pk]),
    ):
        assert f'href="{url}' in html, url
    assert 'data-testid="events-pending">2<' in html
    assert 'data-testid="filings-pending">1<' in html


def test_a_town_assessor_counts_only_their_town(world, scenario, login):
    cycle = scenario
    b = board(login(world.town_assessor_a), cycle)
    assert figures(b) == {
        "participants": 2,
        "not_started": 0,
        "draft": 0,
        "returned": 1,
        "submitted": 1,
        "self": 1,
        "target": 2,
        "org": 1,
        "events": 1,
        "filings": 1,
    }
    assert [t.name for t in b.towns] == ["城关镇"]
    assert b.total.communities == 2
    assert not b.whole_county
    # The county's jobs are the county's business.
    assert b.jobs is None
    html = login(world.town_assessor_a).get(reverse("cycle-dashboard", args=[cycle.pk]))
    assert "东湖" not in html.content.decode()


def test_the_other_towns_assessor_counts_theirs(world, scenario, login):
    b = board(login(world.outsider_b), scenario)
    assert [t.name for t in b.towns] == ["东湖街道"]
    assert (b.total.participants, b.total.not_started, b.total.events_pending) == (1, 1, 1)


def test_an_observer_reads_the_dashboard_of_their_scope(world, scenario, login):
    """纪检监督 read-only over their scope (SPEC §1): the same figures as the town's
    assessor — the page changes nothing."""
    town = figures(board(login(world.town_assessor_a), scenario))
    assert figures(board(login(world.observer_a), scenario)) == town


@pytest.mark.parametrize("who", ["secretary_a1", "c1", "county_b_assessor"])
def test_secretaries_and_other_counties_get_404(world, cycle, login, who):
    if who == "c1":
        user = world.secretaries["c1"].user
    elif who == "county_b_assessor":
        user = UserFactory()
        MembershipFactory(user=user, role=Role.COUNTY_ASSESSOR, org_unit=world.county_b)
    else:
        user = world.persona(who)
    assert login(user).get(reverse("cycle-dashboard", args=[cycle.pk])).status_code == 404


def test_a_secretary_has_no_dashboard_at_all(world, cycle, login):
    """A page the role never has: 403 (DESIGN §4)."""
    assert login(world.secretary_a1).get(reverse("dashboard")).status_code == 403


def test_dashboard_opens_the_newest_running_cycle(world, cycle, login):
    response = login(world.town_assessor_a).get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url == reverse("cycle-dashboard", args=[cycle.pk])


def test_dashboard_says_when_nothing_runs(world, login):
    user = UserFactory()
    MembershipFactory(user=user, role=Role.COUNTY_ASSESSOR, org_unit=world.county_b)
    response = login(user).get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="nothing-running"' in html
    assert f'href="{reverse("cycle-list")}"' in html


def test_the_cycle_page_links_staff_to_the_dashboard(world, cycle, login):
    url = reverse("cycle-dashboard", args=[cycle.pk])
    page = reverse("cycle-detail", args=[cycle.pk])
    assert f'href="{url}"' in login(world.town_assessor_a).get(page).content.decode()
    assert f'href="{url}"' not in login(world.secretary_a1).get(page).content.decode()


def chart(html):
    match = re.search(
        r'<script id="dashboard-chart-data" type="application/json">(.*?)</script>', html
    )
    assert match, "the chart's data is in the page"
    return json.loads(match.group(1))


def test_the_chart_draws_each_towns_progress_from_json_in_the_page(world, scenario, login):
    response = login(world.county_assessor_a).get(reverse("cycle-dashboard", args=[scenario.pk]))
    html = response.content.decode()
    assert 'data-chart="town-progress"' in html
    assert "js/dashboard.js" in html and "vendor/echarts/echarts.min.js" in html
    data = chart(html)
    assert data["towns"] == ["城关镇", "东湖街道"]
    assert [(s["name"], s["values"], s["counts"]) for s in data["series"]] == [
        ("自评已提交", [50.0, 0.0], ["1/2", "0/1"]),
        ("目标量评已录完", [100.0, 0.0], ["2/2", "0/1"]),
        ("组织考评已录完", [50.0, 0.0], ["1/2", "0/1"]),
    ]


def test_results_show_when_they_are_stale(world, cycle, login):
    client = login(world.county_assessor_a)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    assert board(client, cycle).results == "current"
    cycles.mark_inputs_changed(cycle)
    html = client.get(reverse("cycle-dashboard", args=[cycle.pk])).content.decode()
    assert "待更新" in html
    assert f'href="{reverse("ranking", args=[cycle.pk])}"' in html


def test_the_countys_running_jobs_are_counted(world, cycle, login):
    for state in (JobState.QUEUED, JobState.RUNNING, JobState.DONE):
        Job.objects.create(kind=JobKind.BULLETIN, county=world.county_a, cycle=cycle, state=state)
    Job.objects.create(kind=JobKind.IMPORT_PREVIEW, county=world.county_b, state=JobState.QUEUED)
    b = board(login(world.county_assessor_a), cycle)
    assert b.jobs == [("生成季度通报", 2, reverse("bulletin-list", args=[cycle.pk]))]


def test_the_latest_issued_bulletin_is_shown(world, cycle, login):
    client = login(world.county_assessor_a)
    assert board(client, cycle).bulletin is None
    bulletin = generate_bulletin(cycle=cycle, quarter=4, actor=None)
    issue_bulletin(actor=world.county_assessor_a, bulletin=bulletin, version=bulletin.version)
    bulletin.refresh_from_db()
    html = login(world.town_assessor_a).get(reverse("cycle-dashboard", args=[cycle.pk]))
    html = html.content.decode()
    assert f'href="{reverse("bulletin-detail", args=[bulletin.pk])}"' in html
    assert bulletin.number in html


def test_a_draft_cycle_has_an_empty_dashboard(world, cycle, login):
    draft = cycles.create_cycle(actor=None, county=world.county_a, name="2027年度考核", year=2027)
    b = board(login(world.county_assessor_a), draft)
    assert b.total.participants == 0 and b.n_leaves == 0


# --------------------------------------------------------------- query count


def grow(world, cycle, n):
    """Add `n` communities (half to each town of county A), each with an enrolled
    secretary who has submitted, scores of every source, a pending event and filing, and
    one metric value: a city's worth of rows, made in bulk."""
    towns = [world.town_a, world.town_b]
    units = OrgUnit.objects.bulk_create(
        OrgUnit(
            code=f"{towns[i % 2].code}X{i:03d}",
            name=f"新社区{i}",
            kind=OrgUnitKind.COMMUNITY,
            parent=towns[i % 2],
            path=f"{towns[i % 2].path}{towns[i % 2].code}X{i:03d}/",
            depth=towns[i % 2].depth + 1,
        )
        for i in range(n)
    )
    users = User.objects.bulk_create(
        User(username=f"grow{i}", full_name=f"新书记{i}", password=password_hash())
        for i in range(n)
    )
    secretaries = Secretary.objects.bulk_create(
        Secretary(
            staff_no=f"G{i:04d}",
            name=f"新书记{i}",
            community=unit,
            user=user,
            tenure_start=date(2020, 1, 1),
        )
        for i, (unit, user) in enumerate(zip(units, users, strict=True))
    )
    added = Participant.objects.bulk_create(
        Participant(cycle=cycle, secretary=s, community=s.community) for s in secretaries
    )
    SelfEvaluation.objects.bulk_create(
        SelfEvaluation(participant=p, status=SelfEvaluationStatus.SUBMITTED) for p in added
    )
    for source in Source:
        give_scores(cycle, world.county_assessor_a, source, added, method="rating")
    zjxf = cycle.frozen_template.event_types.get(code="ZJXF")
    Event.objects.bulk_create(
        Event(participant=p, event_type=zjxf, occurred_on=date(2026, 5, 1), description="新")
        for p in added
    )
    ReformFiling.objects.bulk_create(
        ReformFiling(participant=p, title="试点", description="举措", risks="风险", filed_by=u)
        for p, u in zip(added, users, strict=True)
    )
    key = entry_keys(cycle)[0]
    MetricValue.objects.bulk_create(
        MetricValue(cycle=cycle, community=unit, key=key, value=1) for unit in units
    )
    Job.objects.create(kind=JobKind.IMPORT_APPLY, county=world.county_a, state=JobState.RUNNING)


def dashboard_queries(client, cycle):
    url = reverse("cycle-dashboard", args=[cycle.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    # Scores are counted in the database, never read row by row.
    for query in queries.captured_queries:
        assert 'FROM "scoring_scoreentry"' not in query["sql"] or "COUNT(" in query["sql"]
    return len(queries)


def test_the_dashboard_reads_as_much_for_a_city_as_for_a_county(world, scenario, login):
    """SPEC §6: the same queries with 3 participants as with 3 + 48."""
    cycle = scenario
    readers = ("county_assessor_a", "town_assessor_a", "admin_a")

    def queries():
        counts = {}
        for who in readers:
            client = login(getattr(world, who))
            dashboard_queries(client, cycle)  # warm: sessions, content types
            counts[who] = dashboard_queries(client, cycle)
        return counts

    county = queries()
    grow(world, cycle, 48)
    assert cycle.participants.count() == 51
    assert board(login(world.county_assessor_a), cycle).total.participants == 51
    city = queries()
    assert city == county
    assert max(city.values()) <= 30, city
