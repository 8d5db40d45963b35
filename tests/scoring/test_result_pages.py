"""The results pages (issue 5): ranking, participant page with radar, score card,
quota and pay-tier preview; who sees what (SPEC §1, DESIGN §4); the pages' numbers are
the stored results' (SPEC §3.2–§3.5)."""

import json
from collections import Counter
from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Cycle
from core.numbers import money
from org.models import OrgUnitKind
from scoring import engine, inputs
from scoring.models import Result, ScoreEntry, Source
from scoring.results import selectors
from scoring.results import services as overrides
from scoring.services import compute_cycle, current_results
from tests.conftest import secretary as make_secretary
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
    return open_seed_cycle(shared_world.county_a, direct=(), pay_base=D(1000))


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def fresh(cycle):
    return Cycle.objects.get(pk=cycle.pk)


def participant_of(cycle, secretary):
    return cycle.participants.get(secretary=secretary)


def add_secretaries(world, cycle, count, town=None):
    """More communities with an enrolled secretary each (town A unless told); staff
    numbers SN00, SN01, … in the order made."""
    made = []
    start = cycle.participants.filter(secretary__staff_no__startswith="SN").count()
    for i in range(start, start + count):
        community = OrgUnitFactory(
            code=f"QA1{50 + i}",
            name=f"新社区{i}",
            kind=OrgUnitKind.COMMUNITY,
            parent=town or world.town_a,
        )
        secretary = SecretaryFactory(community=community, name=f"新书记{i}", staff_no=f"SN{i:02d}")
        made.append(cycles.enrol_secretary(actor=None, cycle=cycle, secretary=secretary))
    return made


def give_scores(cycle, shares, rater):
    """Every `rating` leaf at `share` of its points in all three sources, for each
    participant: equal shares give exactly equal results (a tied group)."""
    leaves = list(cycle.frozen_template.nodes.filter(method="rating", children__isnull=True))
    ScoreEntry.objects.bulk_create(
        ScoreEntry(
            participant=participant,
            leaf=leaf,
            source=source,
            rater=rater,
            value=(leaf.points * share).quantize(D("0.01")),
        )
        for participant, share in shares.items()
        for leaf in leaves
        for source in Source
    )
    cycles.mark_inputs_changed(cycle)
    return compute_cycle(cycle.pk)


def with_events(monkeypatch, *events):
    """Verified events as the (later) evidence app would feed them to the engine."""
    source = lambda cycle, cutoff, only=None: inputs.InputContribution(events=events)  # noqa: E731
    monkeypatch.setattr(inputs, "INPUT_SOURCES", [source])


def ranking_url(cycle, **params):
    url = reverse("ranking", args=[cycle.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def staff_numbers(response):
    return [r.participant.secretary.staff_no for r in response.context["rows"]]


def queries_of(request):
    """Queries one request makes. Each request empties the connection's query log when it
    starts, so the capture starts from an empty log too."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        request()
    assert captured.captured_queries
    return len(captured.captured_queries)


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def crafted(world, cycle, monkeypatch):
    """Ten graded participants with known ties (SPEC §3.5):

        share  1.0  .95 .95 .95  .9  .8  .7  .6  .6  .5
        rank    1    2   2   2    5   6   7   8   8  10

    优秀线 = the final of share .9, so ranks 1–5 are candidates; n = 10 → 优秀 cap
    floor(2.0) = 2, top = bottom = round_half_up(2.0) = 2. Rank 1 keeps 优秀, the tied
    rank-2 group crosses the cap (and the 一档 line), the rank-8 pair crosses the 三档
    line. One more secretary (town B) is not graded.
    """
    extra = add_secretaries(world, cycle, 7)
    a1 = participant_of(cycle, world.secretaries["a1"])
    a2 = participant_of(cycle, world.secretaries["a2"])
    b1 = participant_of(cycle, world.secretaries["b1"])
    order = [a1, extra[0], extra[1], extra[2], extra[3], extra[4], extra[5], a2, b1, extra[6]]
    shares = [D("1"), D(".95"), D(".95"), D(".95"), D(".9"), D(".8"), D(".7"), D(".6")]
    shares += [D(".6"), D(".5")]
    ungraded = add_secretaries(world, cycle, 1, town=world.town_b)[0]
    cycles.set_grading(
        actor=None, participant=ungraded, version=ungraded.version, is_graded=False, reason="新任"
    )
    version = give_scores(
        cycle, dict(zip([*order, ungraded], [*shares, D(".9")], strict=True)), world.admin_a
    )
    line = Result.objects.get(version=version, participant=extra[3]).final
    cycle = fresh(cycle)
    cycles.update_cycle(
        actor=None,
        cycle=cycle,
        version=cycle.version,
        threshold_excellent=line,
        threshold_qualified=D(2),
        threshold_basic=D(1),
    )
    compute_cycle(cycle.pk)
    return {"cycle": fresh(cycle), "order": order, "ungraded": ungraded, "line": line}


# ------------------------------------------------------------------------- ranking


def test_the_ranking_lists_graded_by_rank_then_the_non_graded_unranked(world, crafted, login):
    cycle, order = crafted["cycle"], crafted["order"]
    response = login(world.county_assessor_a).get(ranking_url(cycle))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r.participant_id for r in rows[:10]] == [p.pk for p in order]
    assert [r.rank for r in rows] == [1, 2, 2, 2, 5, 6, 7, 8, 8, 10, None]
    assert rows[-1].participant_id == crafted["ungraded"].pk
    assert rows[-1].grade == "不定等次" and rows[-1].tier == "" and rows[-1].pay is None
    html = response.content.decode()
    for header in ["排名", "工号", "姓名", "镇街", "社区", "自评", "目标量评", "组织考评"]:
        assert header in html
    for header in ["综合得分", "加分", "最终得分", "等次", "一票否决", "档次", "系数", "绩效报酬"]:
        assert header in html


def test_the_ranking_sorts_by_a_whitelisted_column_either_way(world, crafted, login):
    client = login(world.county_assessor_a)
    rows = client.get(ranking_url(crafted["cycle"], sort="name")).context["rows"]
    # Names by pinyin (issue 14): 丙 bǐng, 甲 jiǎ, 新 xīn, 乙 yǐ — not by code point
    # (SQLite, the demo's database, has no pinyin collation).
    expected = ["丙书记", "甲书记", *(f"新书记{i}" for i in range(7)), "乙书记"]
    if connection.vendor != "postgresql":
        expected.sort()
    assert [r.participant.secretary.name for r in rows][:10] == expected
    ascending = client.get(ranking_url(crafted["cycle"], sort="final")).context["rows"]
    finals = [r.final for r in ascending if r.graded]
    assert finals == sorted(finals)
    descending = client.get(ranking_url(crafted["cycle"], sort="-final")).context["rows"]
    assert [r.final for r in descending if r.graded] == sorted(finals, reverse=True)
    assert not descending[-1].graded  # the non-graded stay after the ranked
    unknown = client.get(ranking_url(crafted["cycle"], sort="participant__secretary__user"))
    assert [r.rank for r in unknown.context["rows"]][:3] == [1, 2, 2]


def test_the_ranking_filters_by_town_grade_tier_and_veto(world, crafted, login, monkeypatch):
    cycle = crafted["cycle"]
    client = login(world.county_assessor_a)
    town_b = staff_numbers(client.get(ranking_url(cycle, town=world.town_b.pk)))
    assert town_b == ["SB1", "SN07"]  # b1, then the non-graded newcomer of town B
    excellent = client.get(ranking_url(cycle, grade="优秀")).context["rows"]
    assert [r.participant_id for r in excellent] == [crafted["order"][0].pk]
    top = client.get(ranking_url(cycle, tier="一档")).context["rows"]
    assert [r.rank for r in top] == [1, 2, 2, 2]
    assert client.get(ranking_url(cycle, veto="yes")).context["rows"] == []
    assert len(client.get(ranking_url(cycle, veto="no")).context["rows"]) == 11
    ignored = client.get(ranking_url(cycle, town="abc", grade="特等"))
    assert len(ignored.context["rows"]) == 11


def test_the_ranking_filters_by_overridden_grade_and_across_year_flag(world, crafted, login):
    """The 标记 filter: grades an assessor overrode (SPEC §3.5), and the across-year
    flags (N 优秀 or N 不合格 in a row)."""
    cycle, order = crafted["cycle"], crafted["order"]
    overrides.override_grade(
        actor=world.county_assessor_a, participant=order[6], grade="优秀", reason="抢险突出"
    )
    version = compute_cycle(cycle.pk)
    Result.objects.filter(version=version, participant=order[9]).update(
        flags=[engine.Flag.REPEATED_FAILED.value]
    )
    client = login(world.county_assessor_a)
    overridden = client.get(ranking_url(cycle, flag="override")).context["rows"]
    assert [r.participant_id for r in overridden] == [order[6].pk]
    failing = client.get(ranking_url(cycle, flag="failed-years")).context["rows"]
    assert [r.participant_id for r in failing] == [order[9].pk]
    assert client.get(ranking_url(cycle, flag="excellent-years")).context["rows"] == []
    counts = client.get(ranking_url(cycle, flag="override")).context["counts"]
    assert counts.overridden == 1 and counts.total == 11  # the counts ignore the filter


def test_the_ranking_counts_grades_and_tiers_of_everyone_the_reader_sees(world, crafted, login):
    """The figures above the table: the whole cycle for the county, the town for a
    town assessor — whatever the filter (SPEC §3.5, §1)."""
    cycle = crafted["cycle"]
    county = login(world.county_assessor_a).get(ranking_url(cycle, town=world.town_b.pk))
    counts = county.context["counts"]
    assert (counts.total, counts.graded, counts.vetoed) == (11, 10, 0)
    assert dict(counts.grades)["优秀"] == 1 and dict(counts.grades)["不定等次"] == 1
    assert dict(counts.tiers) == {"一档": 4, "二档": 5, "三档": 1}
    html = county.content.decode()
    assert 'data-testid="ranking-counts"' in html and "?grade=%E4%BC%98%E7%A7%80" in html
    town = login(world.town_assessor_a).get(ranking_url(cycle)).context["counts"]
    assert town.total == 9  # 城关镇: a1, a2 and the seven newcomers
    assert login(world.secretary_a1).get(ranking_url(cycle)).context.get("counts") is None


def test_the_unfiltered_ranking_takes_its_count_from_the_summary(world, crafted, login):
    """Unfiltered, the table holds everyone the summary counted: the pager uses that
    number instead of counting again; a filter counts its own rows."""
    client = login(world.county_assessor_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ranking_url(crafted["cycle"]))
    counted = [q for q in queries.captured_queries if 'COUNT(*) AS "__count"' in q["sql"]]
    assert not [q for q in counted if "scoring_result" in q["sql"]]
    assert response.context["page_obj"].paginator.count == response.context["counts"].total == 11
    filtered = client.get(ranking_url(crafted["cycle"], town=world.town_a.pk))
    assert filtered.context["page_obj"].paginator.count == 9


def test_a_town_outside_the_readers_scope_shows_no_rows(world, crafted, login):
    """SPEC §1: a filter narrows what one sees, never widens it."""
    client = login(world.town_assessor_a)
    assert client.get(ranking_url(crafted["cycle"], town=world.town_b.pk)).context["rows"] == []
    own = client.get(ranking_url(crafted["cycle"], town=world.town_a.pk)).context["rows"]
    assert len(own) == 9


def test_the_ranking_warns_of_the_quota_overflow_and_of_missing_data(world, crafted, login):
    response = login(world.county_assessor_a).get(ranking_url(crafted["cycle"]))
    summary = response.context["summary"]
    assert summary.overflow_total == 4  # the tied rank-2 group of three and rank 5
    html = response.content.decode()
    assert 'data-testid="warning-quota"' in html
    assert "4 人达到优秀线" in html
    kinds = dict(summary.per_kind)
    assert kinds["缺少指标数据"] == 11  # no metrics are entered in this test world
    assert "无有效测评票" in kinds
    assert "缺少指标数据" in html  # a badge on the rows


def test_warnings_are_counted_per_kind_in_the_database_as_in_python(world, crafted):
    """The warning panel counts, per kind, the participants with at least one warning of
    that kind: the database's count (PostgreSQL) equals the rule read in Python
    (`split_warning`) — several warnings of one kind on a participant count once, the
    kind is trimmed, a warning without a colon is its own kind."""
    version = current_results(crafted["cycle"])
    results = list(Result.objects.filter(version=version).order_by("pk"))
    results[0].warnings = [*results[0].warnings, " 手工: 一", "手工 :二", "无冒号的提醒"]
    results[1].warnings = [*results[1].warnings, "手工: 三"]
    Result.objects.bulk_update(results[:2], ["warnings"])
    rows = Result.objects.filter(version=version)
    by_hand = Counter()
    for warnings in rows.values_list("warnings", flat=True):
        by_hand.update({selectors.split_warning(text)[0] for text in warnings})
    found = selectors.warnings_per_kind(rows)
    assert found == dict(by_hand)
    assert found["手工"] == 2 and found["无冒号的提醒"] == 1


def test_self_evaluation_gaps_show_as_a_warning(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    response = login(world.county_assessor_a).get(ranking_url(cycle))
    assert dict(response.context["summary"].per_kind)["自评不完整"] == 3
    assert "自评不完整" in response.content.decode()


def test_vetoed_participants_show_their_reason_and_rank_last(world, cycle, login, monkeypatch):
    a2 = participant_of(cycle, world.secretaries["a2"])
    with_events(
        monkeypatch,
        engine.Event(str(a2.pk), "YJXF", on=date(2026, 5, 4), description="越级上访三人"),
    )
    complete_scoring(cycle, world.county_assessor_a)
    client = login(world.county_assessor_a)
    rows = client.get(ranking_url(cycle)).context["rows"]
    assert rows[-1].participant_id == a2.pk
    assert (rows[-1].grade, rows[-1].tier) == ("不合格", "三档")
    vetoed = client.get(ranking_url(cycle, veto="yes"))
    assert [r.participant_id for r in vetoed.context["rows"]] == [a2.pk]
    assert "越级信访（2026-05-04）：越级上访三人" in vetoed.content.decode()


def test_the_ranking_page_needs_the_same_queries_for_3_or_13_participants(
    world, cycle, login, django_assert_max_num_queries
):
    """DESIGN §7: query counts pinned, so an N+1 fails here."""
    client = login(world.county_assessor_a)
    complete_scoring(cycle, world.county_assessor_a)
    few = queries_of(lambda: client.get(ranking_url(cycle)))
    add_secretaries(world, cycle, 10)
    complete_scoring(fresh(cycle), world.county_assessor_a)
    assert len(client.get(ranking_url(cycle)).context["rows"]) == 13
    reset_queries()
    with django_assert_max_num_queries(few):
        client.get(ranking_url(cycle))


# ---------------------------------------------------------- freshness, recompute


def test_stale_results_show_a_banner_and_managers_recompute(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    cycles.mark_inputs_changed(cycle)  # a change whose recompute has not landed yet
    client = login(world.county_assessor_a)
    html = client.get(ranking_url(cycle)).content.decode()
    assert 'data-testid="stale-banner"' in html and "待更新" in html
    assert 'data-testid="recompute"' in html
    response = client.post(
        reverse("result-recompute", args=[cycle.pk]), {"next": ranking_url(cycle)}
    )
    assert response.status_code == 302 and response.url == ranking_url(cycle)
    assert any("已重新计算" in m for m in flashed(response))
    assert current_results(fresh(cycle)).inputs_version == fresh(cycle).inputs_version
    assert 'data-testid="stale-banner"' not in client.get(ranking_url(cycle)).content.decode()


def test_without_results_the_page_says_so_and_offers_to_compute(world, cycle, login):
    client = login(world.county_assessor_a)
    response = client.get(ranking_url(cycle))
    html = response.content.decode()
    assert 'data-testid="no-results"' in html and 'data-testid="recompute"' in html
    client.post(reverse("result-recompute", args=[cycle.pk]))
    assert len(client.get(ranking_url(cycle)).context["rows"]) == 3


def test_observers_see_the_stale_banner_without_the_button(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    cycles.mark_inputs_changed(cycle)
    html = login(world.observer_a).get(ranking_url(cycle)).content.decode()
    assert 'data-testid="stale-banner"' in html
    assert 'data-testid="recompute"' not in html
    response = login(world.observer_a).post(reverse("result-recompute", args=[cycle.pk]))
    assert response.status_code == 403


def test_a_published_cycle_is_not_recomputed(world, cycle, login):
    cycle = to_review(world, cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    client = login(world.county_assessor_a)
    response = client.post(reverse("result-recompute", args=[cycle.pk]))
    assert any("结果已锁定" in m for m in flashed(response))
    assert 'data-testid="recompute"' not in client.get(ranking_url(cycle)).content.decode()


# -------------------------------------------------------------------- visibility


def to_review(world, cycle):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


def test_a_secretary_sees_nothing_before_review_and_then_only_their_own(world, cycle, login):
    client = login(world.secretary_a1)
    own = participant_of(cycle, world.secretaries["a1"])
    other = participant_of(cycle, world.secretaries["a2"])
    complete_scoring(cycle, world.county_assessor_a)
    response = client.get(ranking_url(cycle))
    assert response.status_code == 200 and response.context["rows"] == []
    assert 'data-testid="not-yet-published"' in response.content.decode()
    assert client.get(reverse("result-detail", args=[own.pk])).status_code == 404
    assert client.get(reverse("result-card", args=[own.pk])).status_code == 404
    cycle = to_review(world, fresh(cycle))
    response = client.get(ranking_url(cycle))
    assert staff_numbers(response) == ["SA1"]
    assert "乙书记" not in response.content.decode()
    assert client.get(reverse("result-detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("result-card", args=[own.pk])).status_code == 200
    assert client.get(reverse("result-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("result-preview", args=[cycle.pk])).status_code == 403
    cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    assert client.get(reverse("result-detail", args=[own.pk])).status_code == 200


def test_a_secretary_not_enrolled_in_the_cycle_is_told_so(world, cycle, login):
    community = OrgUnitFactory(
        code="QA199", name="新设社区", kind=OrgUnitKind.COMMUNITY, parent=world.town_a
    )
    newcomer = make_secretary(community, "SX1", "新任书记", "sec_new")
    cycle = to_review(world, cycle)
    html = login(newcomer.user).get(ranking_url(cycle)).content.decode()
    assert 'data-testid="not-a-participant"' in html and "甲书记" not in html


def test_the_cycle_page_links_a_secretary_to_their_results_once_visible(world, cycle, login):
    client = login(world.secretary_a1)
    own = participant_of(cycle, world.secretaries["a1"])
    link = reverse("result-detail", args=[own.pk])
    assert link not in client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    to_review(world, cycle)
    html = client.get(reverse("cycle-detail", args=[cycle.pk])).content.decode()
    assert link in html and reverse("ranking", args=[cycle.pk]) not in html


def test_the_cycle_page_links_staff_to_the_ranking_and_managers_to_the_preview(world, cycle, login):
    html = login(world.county_assessor_a).get(reverse("cycle-detail", args=[cycle.pk]))
    html = html.content.decode()
    assert reverse("ranking", args=[cycle.pk]) in html
    assert reverse("result-preview", args=[cycle.pk]) in html
    html = login(world.town_assessor_a).get(reverse("cycle-detail", args=[cycle.pk]))
    html = html.content.decode()
    assert reverse("ranking", args=[cycle.pk]) in html
    assert reverse("result-preview", args=[cycle.pk]) not in html


def test_a_town_assessor_sees_only_their_town(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    client = login(world.town_assessor_a)
    response = client.get(ranking_url(cycle))
    assert sorted(staff_numbers(response)) == ["SA1", "SA2"]
    assert "丙书记" not in response.content.decode()
    towns = [str(t) for t in response.context["form"].fields["town"].choices]
    assert not any("东湖街道" in t for t in towns)
    b1 = participant_of(cycle, world.secretaries["b1"])
    assert client.get(reverse("result-detail", args=[b1.pk])).status_code == 404
    assert client.get(reverse("result-preview", args=[cycle.pk])).status_code == 403


def test_an_observer_reads_but_never_overrides(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    a1 = participant_of(cycle, world.secretaries["a1"])
    client = login(world.observer_a)
    response = client.get(reverse("result-detail", args=[a1.pk]))
    assert response.status_code == 200
    assert 'data-testid="override-form"' not in response.content.decode()
    post = client.post(reverse("result-override", args=[a1.pk]), {"grade": "优秀", "reason": "x"})
    assert post.status_code == 403
    # Observer of a town, not of the county: the county's preview is not theirs.
    assert client.get(reverse("result-preview", args=[cycle.pk])).status_code == 404


def test_another_countys_results_answer_404(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    qb = cycles.create_cycle(actor=None, county=world.county_b, name="外县考核", year=2026)
    cycles.enrol_county(actor=None, cycle=qb)
    foreign = qb.participants.get()
    client = login(world.county_assessor_a)
    for name, pk in [
        ("ranking", qb.pk),
        ("result-preview", qb.pk),
        ("result-detail", foreign.pk),
        ("result-card", foreign.pk),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
    assert client.post(reverse("result-recompute", args=[qb.pk])).status_code == 404
    override = reverse("result-override", args=[foreign.pk])
    assert client.post(override, {"grade": "优秀", "reason": "x"}).status_code == 404


# --------------------------------------------------------------- participant page


def test_the_participant_page_shows_leaves_by_dimension_with_subtotals(world, crafted, login):
    cycle = crafted["cycle"]
    top = crafted["order"][0]
    response = login(world.county_assessor_a).get(reverse("result-detail", args=[top.pk]))
    assert response.status_code == 200
    result = response.context["result"]
    sheet = response.context["sheet"]
    assert [d.name for d in sheet.dimensions] == [
        "党建",
        "社区治理与民生服务",
        "重点工作与创新突破",
        "廉政与履职规范",
    ]
    assert (sheet.self_total, sheet.target_total, sheet.org_total) == (
        result.self_total,
        result.target_total,
        result.org_total,
    )
    for block in sheet.dimensions:
        assert block.target_total == sum(leaf.target_value for leaf in block.leaves)
    leaves = sum(len(d.leaves) for d in sheet.dimensions)
    assert leaves == cycle.frozen_template.nodes.filter(children__isnull=True).count()
    html = response.content.decode()
    assert 'id="radar-data"' in html and 'data-chart="radar"' in html
    # Money as people read it (issue 14): thousands separated, two decimals, 元.
    assert "1,100.00 元" in html and "1100.00" not in html  # pay: base 1000 × 1.10


def test_each_automatic_leaf_shows_what_its_value_was_computed_from(
    world, cycle, login, monkeypatch
):
    """SPEC §3.1: the sheet names the basis of each automatic leaf — metric actual
    against the target, satisfaction rate, points deducted — so the page can be checked
    by hand."""
    a1 = participant_of(cycle, world.secretaries["a1"])
    community = a1.community.code
    metrics = (
        engine.Metric(community, "service_coverage", D("76")),
        engine.Metric(community, "conflicts_resolved", D("12")),
    )
    counts = (engine.SurveyCount(community, "居民代表", satisfied=2, basic=1),)
    events = (engine.Event(str(a1.pk), "ZJXF", on=date(2026, 3, 1)),)
    source = lambda c, cutoff, only=None: inputs.InputContribution(  # noqa: E731
        metrics=metrics, events=events, survey_counts=counts
    )
    monkeypatch.setattr(inputs, "INPUT_SOURCES", [source])
    complete_scoring(cycle, world.county_assessor_a)
    compute_cycle(cycle.pk)
    response = login(world.county_assessor_a).get(reverse("result-detail", args=[a1.pk]))
    lines = {
        leaf.name: leaf.basis_text
        for block in response.context["sheet"].dimensions
        for leaf in block.leaves
    }
    assert lines["服务覆盖率"] == "服务覆盖率 实际 76% / 目标 95%"
    assert lines["网格化管理成效（化解矛盾数）"] == "化解矛盾数 实际 12件"
    assert lines["群众满意度"] == "满意率 86.67%"
    assert lines["信访维稳"] == "事项扣分合计 3.00"
    assert lines["组织生活"] == "无扣分事项"
    assert lines["三会一课"] == ""
    assert "满意率 86.67%" in response.content.decode()


def test_the_radar_compares_dimension_rates_with_the_county_average(world, crafted, login):
    cycle = crafted["cycle"]
    top = crafted["order"][0]
    response = login(world.county_assessor_a).get(reverse("result-detail", args=[top.pk]))
    radar = response.context["radar"]
    sheet = response.context["sheet"]
    mine, average = radar["series"]
    assert [i["name"] for i in radar["indicators"]] == [d.name for d in sheet.dimensions]
    # 党建 by hand: Σ (10·S + 50·T + 40·O) / 100 over its leaves, as % of 25 points.
    party = sheet.dimensions[0]
    by_hand = sum(
        (D(10) * leaf.self_value + D(50) * leaf.target_value + D(40) * leaf.org_value) / 100
        for leaf in party.leaves
    )
    assert D(mine["value"][0]) == engine.round2(by_hand * 100 / party.points)
    results = Result.objects.filter(version=current_results(cycle))
    rows = [selectors.participant_sheet(r, cycle).dimensions[0].weighted for r in results]
    expected = engine.round2(sum(rows) / len(rows) * 100 / party.points)
    assert D(average["value"][0]) == expected
    assert "11 人" in average["name"]
    assert D(mine["value"][0]) > D(average["value"][0])  # the best share of all
    html = response.content.decode()
    embedded = html.split('id="radar-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(embedded) == radar


def test_the_county_average_reads_each_version_once(world, crafted, login):
    """The per-leaf sums of a stored version are kept in the cache under its id: a second
    participant page of the same version does not sum the leaf rows again, and a new
    version is summed afresh."""
    cycle = crafted["cycle"]
    first, second = crafted["order"][:2]
    client = login(world.county_assessor_a)

    def summed(participant):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("result-detail", args=[participant.pk]))
        assert response.status_code == 200
        return response.context["radar"]["series"][1], sum(
            "SUM(" in query["sql"] and "scoring_leafresult" in query["sql"]
            for query in queries.captured_queries
        )

    average, sums = summed(first)
    assert sums == 1
    assert summed(second) == (average, 0)
    before = current_results(cycle)
    cycles.mark_inputs_changed(fresh(cycle))
    compute_cycle(cycle.pk)
    assert current_results(cycle).pk != before.pk
    again, sums = summed(second)
    assert sums == 1
    assert again == average  # the same inputs: the same average, read again


def test_the_participant_page_reads_in_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    client = login(world.county_assessor_a)
    complete_scoring(cycle, world.county_assessor_a)
    a1 = participant_of(cycle, world.secretaries["a1"])
    few = queries_of(lambda: client.get(reverse("result-detail", args=[a1.pk])))
    add_secretaries(world, cycle, 10)
    complete_scoring(fresh(cycle), world.county_assessor_a)
    reset_queries()
    with django_assert_max_num_queries(few):
        client.get(reverse("result-detail", args=[a1.pk]))


# -------------------------------------------------------------------- score card


def test_the_score_card_reproduces_every_stored_number(world, crafted, login):
    cycle = crafted["cycle"]
    client = login(world.county_assessor_a)
    for participant in [crafted["order"][0], crafted["order"][2], crafted["ungraded"]]:
        response = client.get(reverse("result-card", args=[participant.pk]))
        assert response.status_code == 200
        steps = {str(s.label): s for s in response.context["steps"]}
        assert all(s.ok is not False for s in steps.values()), [
            (s.label, s.value, s.stored) for s in steps.values() if s.ok is False
        ]
        result = response.context["result"]
        assert steps["综合得分"].value == selectors.number(result.composite)
        assert steps["最终得分"].value == selectors.number(result.final)
        if result.graded:
            assert steps["优秀名额"].value == result.rule_grade
            assert steps["档次"].value == result.tier
            assert steps["绩效报酬"].value == money(result.pay)  # 1,100.00 元
        assert 'data-testid="step-mismatch"' not in response.content.decode()
    tied = crafted["order"][1]
    steps = client.get(reverse("result-card", args=[tied.pk])).context["steps"]
    quota = next(s for s in steps if str(s.label) == "优秀名额")
    assert "名次 2，并列 3 人，占至第 4 名；优秀名额 2" in quota.formula
    assert quota.value == "合格"
    assert cycle.label_qualified == "合格"


def test_the_score_card_walks_through_deductions_bonus_and_veto(world, cycle, login, monkeypatch):
    a1 = participant_of(cycle, world.secretaries["a1"])
    a2 = participant_of(cycle, world.secretaries["a2"])
    with_events(
        monkeypatch,
        engine.Event(str(a1.pk), "ZZSH", on=date(2026, 3, 1)),  # −2 on 组织生活
        engine.Event(str(a1.pk), "SHIJ", on=date(2026, 6, 1)),  # +10 bonus
        engine.Event(str(a2.pk), "WJXW", on=date(2026, 7, 1), description="违规发放补贴"),
    )
    complete_scoring(cycle, world.county_assessor_a)
    client = login(world.county_assessor_a)
    response = client.get(reverse("result-card", args=[a1.pk]))
    steps = {str(s.label): s for s in response.context["steps"]}
    assert all(s.ok is not False for s in steps.values())
    result = response.context["result"]
    assert result.bonus == D(10) and steps["加分"].value == "10.00"
    waterfall = response.context["waterfall"]
    assert "扣分" in waterfall["categories"]
    # 组织生活 lost 2 points in T (50%) and in O (40%): 1.8 weighted points.
    assert waterfall["fall"][waterfall["categories"].index("扣分")] == "1.80"
    assert waterfall["total"][-1] == selectors.number(result.final)
    steps = {
        str(s.label): s for s in client.get(reverse("result-card", args=[a2.pk])).context["steps"]
    }
    assert steps["一票否决"].value == "是" and "违规发放补贴" in steps["一票否决"].formula
    assert (steps["优秀名额"].value, steps["档次"].value) == ("不合格", "三档")
    assert all(s.ok is not False for s in steps.values())


def test_the_score_card_flags_steps_the_stored_result_does_not_match(world, cycle, login):
    complete_scoring(cycle, world.county_assessor_a)
    cycle = fresh(cycle)
    cycles.update_cycle(actor=None, cycle=cycle, version=cycle.version, pay_base=D(5000))
    a1 = participant_of(cycle, world.secretaries["a1"])
    response = login(world.county_assessor_a).get(reverse("result-card", args=[a1.pk]))
    pay = next(s for s in response.context["steps"] if str(s.label) == "绩效报酬")
    assert pay.ok is False and pay.stored == "1,100.00 元"
    html = response.content.decode()
    assert 'data-testid="step-mismatch"' in html and 'data-testid="stale-banner"' in html


def test_the_score_card_is_printable(world, crafted, login):
    top = crafted["order"][0]
    html = login(world.county_assessor_a).get(reverse("result-card", args=[top.pk]))
    html = html.content.decode()
    assert 'id="waterfall-data"' in html and "data-print" in html and "d-print-none" in html


# ----------------------------------------------------------------------- preview


def test_the_preview_writes_out_the_quota_and_tier_arithmetic(world, crafted, login):
    cycle = crafted["cycle"]
    response = login(world.county_assessor_a).get(reverse("result-preview", args=[cycle.pk]))
    assert response.status_code == 200
    (group,) = response.context["preview"].groups
    assert (group.n, group.quota, group.top, group.bottom) == (10, 2, 2, 2)
    assert group.quota_formula == "10 × 20% = 2.00，向下取整 = 2"
    assert group.top_formula == "10 × 20% = 2.00，四舍五入 = 2"
    order = crafted["order"]
    assert [r.participant_id for r in group.candidates] == [p.pk for p in order[:5]]
    assert [r.participant_id for r in group.demoted] == [p.pk for p in order[1:5]]
    assert group.excellent_tie.rank == 2
    assert sorted(r.participant_id for r in group.excellent_tie.members) == sorted(
        p.pk for p in order[1:4]
    )
    assert group.top_tie.rank == 2 and len(group.top_tie.members) == 3
    assert group.bottom_tie.rank == 8 and len(group.bottom_tie.members) == 2
    assert [(t[0], t[1], t[2]) for t in group.tiers] == [
        ("一档", 2, 4),
        ("二档", 6, 5),
        ("三档", 2, 1),
    ]
    # 4 × 1100 + 5 × 1000 + 1 × 900 against 1000 × 10.
    assert (group.pay_total, group.pay_expected) == (D("10300.00"), D(10000))
    assert any("相差 300.00" in w for w in group.warnings)
    assert any("4 人达到优秀线" in w for w in group.warnings)
    assert [r.participant_id for r in group.ungraded] == [crafted["ungraded"].pk]
    html = response.content.decode()
    assert 'data-testid="tie-excellent"' in html and 'data-testid="tie-bottom"' in html
    assert 'data-testid="published-lock"' not in html


def test_the_preview_counts_a_town_ranking_per_town(world, crafted, login):
    cycle = crafted["cycle"]
    cycles.update_cycle(actor=None, cycle=cycle, version=cycle.version, ranking_group="town")
    compute_cycle(cycle.pk)
    preview = login(world.admin_a).get(reverse("result-preview", args=[cycle.pk]))
    groups = preview.context["preview"].groups
    assert [(g.name, g.n) for g in groups] == [("城关镇", 9), ("东湖街道", 1)]
    assert groups[1].quota_formula == "1 × 20% = 0.20，向下取整 = 0"


def test_the_preview_lists_vetoed_participants(world, cycle, login, monkeypatch):
    a2 = participant_of(cycle, world.secretaries["a2"])
    with_events(monkeypatch, engine.Event(str(a2.pk), "YJXF", description="越级上访"))
    complete_scoring(cycle, world.county_assessor_a)
    response = login(world.county_assessor_a).get(reverse("result-preview", args=[cycle.pk]))
    (group,) = response.context["preview"].groups
    assert [r.participant_id for r in group.vetoed] == [a2.pk]
    assert "越级信访：越级上访" in response.content.decode()


def test_once_published_the_preview_shows_the_lock_and_who_published(world, cycle, login):
    cycle = to_review(world, cycle)
    cycle = cycles.transition(
        actor=world.county_assessor_a, cycle=cycle, name="publish", version=cycle.version
    )
    response = login(world.observer_a).get(reverse("result-preview", args=[cycle.pk]))
    assert response.status_code == 404  # a town observer: not the county's staff
    response = login(world.county_assessor_a).get(reverse("result-preview", args=[cycle.pk]))
    html = response.content.decode()
    assert 'data-testid="published-lock"' in html and "已随发布锁定" in html
    assert "县考核员甲" in html
    assert current_results(cycle).is_published
