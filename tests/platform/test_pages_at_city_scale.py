"""Pages that do not grow with the county (SPEC §6): a city has ~3,000 secretaries, and
every page that lists them — the ranking, the cycle page, the quota preview, the lists of
events, filings, rectification items, ballot batches, key tasks, metrics and paper
counts — shows one page of its rows (or a summary), reads with as many queries for a
city as for a county (DESIGN §7), and stays small; its figures are the whole cycle's.

One module world: a county-sized cycle (the three secretaries of the test world) and a
city-sized cycle in the same county (the same three and 3,000 more in 30 new towns),
both with results, events, filings, rectification items, ballot batches and a key task.
"""

import re
from collections import Counter
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment import services as cycles
from evidence.models import (
    Event,
    KeyTask,
    KeyTaskAssignment,
    RectificationItem,
    ReformFiling,
)
from org.models import OrgUnit
from scoring.engine import round_half_up
from scoring.models import Result, ResultSheet, ResultVersion
from scoring.services import current_results
from surveys.models import BallotBatch
from tests.factories import (
    complete_scoring,
    enough_ballots,
    enrol_in_bulk,
    fresh_cycle,
    grow_county,
    open_seed_cycle,
)

pytestmark = pytest.mark.usefixtures("shared_world")

CITY = 3000
TOWNS = 30
# A page of a city's list, whatever the list: well under what a whole county's was.
MAX_PAGE = 300 * 1024


def with_evidence(cycle, rater):
    """One reported event, one filing, one rectification item and one ballot batch per
    participant, and one key task assigned to every community (made in bulk)."""
    participants = list(cycle.participants.select_related("secretary", "community"))
    event_type = cycle.frozen_template.event_types.get(code="ZJXF")
    Event.objects.bulk_create(
        Event(
            participant=p, event_type=event_type, occurred_on=date(2026, 5, 1), description="信访"
        )
        for p in participants
    )
    ReformFiling.objects.bulk_create(
        ReformFiling(participant=p, title="试点", description="举措", risks="风险", filed_by=rater)
        for p in participants
    )
    RectificationItem.objects.bulk_create(
        RectificationItem(
            cycle=cycle,
            community=p.community,
            participant=p,
            source="other",
            problem="问题",
            owner="责任人",
            deadline=date(2026, 6, 1),
            created_by=rater,
        )
        for p in participants
    )
    category = cycle.frozen_template.survey_categories.first()
    BallotBatch.objects.bulk_create(
        BallotBatch(cycle=cycle, community=p.community, category=category, size=5, created_by=rater)
        for p in participants
    )
    task = KeyTask.objects.create(
        cycle=cycle, title="重点工作", deadline=date(2026, 6, 30), created_by=rater
    )
    KeyTaskAssignment.objects.bulk_create(
        KeyTaskAssignment(task=task, community=p.community, plan_q1=20, plan_q2=100)
        for p in participants
    )


def results_in_bulk(cycle):
    """Setup: a current result version of the cycle, inserted rather than computed (a
    city's computation is the scoring benchmark's business, not these pages'): finals
    99, 98, … 80 in turn (tied groups of about 150, half of them above the 优秀 line),
    competition ranks, grades by the cycle's lines with the 优秀 cap, tiers 2:6:2, pay
    on a base of 1,000."""
    participants = list(cycle.participants.order_by("pk"))
    n = len(participants)
    finals = [D(99) - D(i % 20) for i in range(n)]
    order = sorted(range(n), key=lambda i: (-finals[i], i))
    ranks, sizes = {}, Counter(finals)
    for place, i in enumerate(order, 1):
        before = order[place - 2] if place > 1 else None
        ranks[i] = ranks[before] if before is not None and finals[before] == finals[i] else place
    quota = n * int(cycle.excellent_share) // 100
    top = round_half_up(D(n) * cycle.tier_top_share / 100)
    bottom = round_half_up(D(n) * cycle.tier_bottom_share / 100)
    version = ResultVersion.objects.create(
        cycle=cycle,
        inputs_version=cycle.inputs_version,
        is_current=True,
        n=n,
        quota=quota,
        top=top,
        bottom=bottom,
        groups=[{"key": "", "n": n, "quota": quota, "top": top, "bottom": bottom}],
    )
    coefficients = {
        "一档": cycle.coefficient_top,
        "二档": cycle.coefficient_middle,
        "三档": cycle.coefficient_bottom,
    }

    def grade(final, rank):
        if final >= cycle.threshold_excellent:
            fits = rank - 1 + sizes[final] <= quota
            return cycle.label_excellent if fits else cycle.label_qualified
        if final >= cycle.threshold_qualified:
            return cycle.label_qualified
        return cycle.label_basic if final >= cycle.threshold_basic else cycle.label_failed

    def tier(rank):
        return "一档" if rank <= top else "三档" if rank > n - bottom else "二档"

    sheets = ResultSheet.objects.bulk_create(
        (ResultSheet(participant=p) for p in participants), batch_size=1000
    )
    Result.objects.bulk_create(
        (
            Result(
                version=version,
                participant=p,
                sheet=sheets[i],
                group="",
                graded=True,
                self_total=finals[i],
                target_total=finals[i],
                org_total=finals[i],
                composite=finals[i],
                bonus=D(0),
                final=finals[i],
                taken=D(0),
                veto=False,
                rank=ranks[i],
                grade=grade(finals[i], ranks[i]),
                rule_grade=grade(finals[i], ranks[i]),
                tier=tier(ranks[i]),
                coefficient=coefficients[tier(ranks[i])],
                pay=(D(1000) * coefficients[tier(ranks[i])]).quantize(D("0.01")),
                warnings=["缺少指标数据: 服务覆盖率"],
            )
            for i, p in enumerate(participants)
        ),
        batch_size=1000,
    )
    return version


@pytest.fixture(scope="module")
def sized(shared_world):
    """{"county": the county-sized cycle, "city": the city-sized one}, both with results."""
    world, rater = shared_world, shared_world.county_assessor_a
    county = open_seed_cycle(world.county_a, direct=(), pay_base=D(1000))
    county = complete_scoring(county, rater)
    with_evidence(county, rater)
    grown = grow_county(world.county_a, CITY, towns=TOWNS)
    city = cycles.create_cycle(
        actor=None,
        county=world.county_a,
        name="2026年度全市考核",
        year=2026,
        template=county.template,
        pay_base=D(1000),
    )
    enrol_in_bulk(city, [*(world.secretaries[key] for key in ("a1", "a2", "b1")), *grown])
    city = cycles.transition(actor=None, cycle=city, name="open", version=city.version)
    enough_ballots(city, rater)
    results_in_bulk(city)
    with_evidence(city, rater)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a load of this size
    return {"county": county, "city": city}


@pytest.fixture
def county_cycle(sized, db):
    return fresh_cycle(sized["county"])


@pytest.fixture
def city_cycle(sized, db):
    return fresh_cycle(sized["city"])


def task_of(cycle):
    return KeyTask.objects.get(cycle=cycle)


PAGES = {
    "cycle-detail": lambda c: reverse("cycle-detail", args=[c.pk]),
    "ranking": lambda c: reverse("ranking", args=[c.pk]),
    "result-preview": lambda c: reverse("result-preview", args=[c.pk]),
    "event-list": lambda c: reverse("event-list", args=[c.pk]),
    "filing-list": lambda c: reverse("filing-list", args=[c.pk]),
    "rectification-list": lambda c: reverse("rectification-list", args=[c.pk]),
    "ballot-batch-list": lambda c: reverse("ballot-batch-list", args=[c.pk]),
    "keytask-detail": lambda c: reverse("keytask-detail", args=[task_of(c).pk]),
    "keytask-board": lambda c: reverse("keytask-board", args=[c.pk]) + "?on=2026-04-01",
    "keytask-summons": lambda c: reverse("keytask-summons", args=[c.pk]) + "?on=2026-12-01",
    "metric-grid": lambda c: reverse("metric-grid", args=[c.pk]),
    "paper-tallies": lambda c: reverse("paper-tallies", args=[c.pk]),
    "survey-return-rates": lambda c: reverse("survey-return-rates", args=[c.pk]),
    "selfeval-list": lambda c: reverse("selfeval-list", args=[c.pk]),
}


def measured(client, url):
    """(queries, bytes) of one GET, after a first one (sessions, content types)."""
    client.get(url)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), len(response.content)


@pytest.mark.parametrize("name", PAGES)
def test_a_page_reads_as_much_for_a_city_as_for_a_county(
    world, county_cycle, city_cycle, login, name
):
    """SPEC §6, DESIGN §7: 3 participants or 3,003, the same queries and a bounded page."""
    client = login(world.county_assessor_a)
    county_queries, county_bytes = measured(client, PAGES[name](county_cycle))
    city_queries, city_bytes = measured(client, PAGES[name](city_cycle))
    assert city_queries == county_queries, (county_queries, city_queries)
    assert city_bytes < MAX_PAGE, city_bytes


@pytest.mark.parametrize("name", ["cycle-detail", "ranking", "event-list", "paper-tallies"])
def test_a_town_assessor_reads_as_much_in_a_city_cycle(
    world, county_cycle, city_cycle, login, name
):
    client = login(world.town_assessor_a)
    county_queries, _bytes = measured(client, PAGES[name](county_cycle))
    city_queries, _bytes = measured(client, PAGES[name](city_cycle))
    assert city_queries == county_queries


# ------------------------------------------------------------------------- ranking


def ranking(client, cycle, **params):
    return client.get(reverse("ranking", args=[cycle.pk]), params)


def staff_numbers(response):
    return [r.participant.secretary.staff_no for r in response.context["rows"]]


def test_the_ranking_shows_a_page_and_counts_the_whole_cycle(world, city_cycle, login):
    response = ranking(login(world.county_assessor_a), city_cycle)
    page = response.context["page_obj"]
    assert len(response.context["rows"]) == 50 and page.paginator.count == CITY + 3
    counts = response.context["counts"]
    assert counts.total == CITY + 3 and counts.graded == CITY + 3
    results = Result.objects.filter(version=current_results(city_cycle))
    assert dict(counts.grades) == {
        label: results.filter(grade=label).count() for label in dict(counts.grades)
    }
    assert sum(n for _label, n in counts.tiers) == CITY + 3
    html = response.content.decode()
    assert 'data-testid="pager"' in html and 'data-testid="ranking-counts"' in html
    assert reverse("results-export", args=[city_cycle.pk]) in html  # the whole table
    # The counts stay the whole cycle's on any page and under any filter.
    other = ranking(login(world.county_assessor_a), city_cycle, page=7, grade="优秀")
    assert other.context["counts"] == counts


def test_the_page_size_is_chosen_among_a_few(world, city_cycle, login):
    client = login(world.county_assessor_a)
    assert len(ranking(client, city_cycle, per_page=200).context["rows"]) == 200
    assert len(ranking(client, city_cycle, per_page=100).context["rows"]) == 100
    assert len(ranking(client, city_cycle, per_page=5000).context["rows"]) == 50
    last = ranking(client, city_cycle, per_page=200, page=999)  # past the end: the last page
    assert last.context["page_obj"].number == 16 and len(last.context["rows"]) == 3


def test_the_pager_keeps_the_filters_the_sort_and_the_page_size(world, city_cycle, login):
    client = login(world.county_assessor_a)
    town = OrgUnit.objects.get(code="C07")
    first = ranking(client, city_cycle, town=town.pk, sort="-final", per_page=50)
    assert first.context["page_obj"].paginator.count == 100
    html = first.content.decode()
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert f"town={town.pk}" in next_link and "sort=-final" in next_link
    assert "per_page=50" in next_link and "page=2" in next_link
    second = client.get(reverse("ranking", args=[city_cycle.pk]) + next_link)
    rows = second.context["rows"]
    assert len(rows) == 50
    assert {r.participant.community.parent_id for r in rows} == {town.pk}
    seen = set(staff_numbers(first)) | set(staff_numbers(second))
    assert len(seen) == 100
    # Sorting and filtering start again on page 1.
    headers = {h["key"]: h["url"] for h in second.context["headers"]}
    assert not re.search(r"[?&]page=", headers["name"]) and f"town={town.pk}" in headers["name"]
    form = html.split('data-testid="filters"')[1].split("</form>")[0]
    assert 'name="page"' not in form and 'name="per_page" value="50"' in form
    assert 'name="sort" value="-final"' in form


def test_the_ranking_searches_by_name_staff_number_and_community(world, city_cycle, login):
    client = login(world.county_assessor_a)
    assert staff_numbers(ranking(client, city_cycle, q="C1234")) == ["C1234"]
    assert staff_numbers(ranking(client, city_cycle, q="书记C0042")) == ["C0042"]
    assert staff_numbers(ranking(client, city_cycle, q="社区2999")) == ["C2999"]
    assert staff_numbers(ranking(client, city_cycle, q="城东社区")) == ["SA1"]
    none = ranking(client, city_cycle, q="没有这个人")
    assert none.context["rows"] == [] and 'data-testid="no-rows"' in none.content.decode()


def test_a_town_assessor_cannot_widen_their_scope_with_a_filter(world, city_cycle, login):
    """SPEC §1: a town parameter outside the reader's scope shows nothing (never the
    other town); the counts are of their own town."""
    client = login(world.town_assessor_a)
    own = ranking(client, city_cycle)
    assert sorted(staff_numbers(own)) == ["SA1", "SA2"]
    assert own.context["counts"].total == 2
    other = OrgUnit.objects.get(code="C03")
    assert ranking(client, city_cycle, town=other.pk).context["rows"] == []
    assert ranking(client, city_cycle, town=world.town_b.pk).context["rows"] == []
    assert ranking(client, city_cycle, q="C0003").context["rows"] == []
    assert "C0003" not in ranking(client, city_cycle, per_page=200).content.decode()


# --------------------------------------------------------------------- cycle page


def cycle_page(client, cycle, **params):
    return client.get(reverse("cycle-detail", args=[cycle.pk]), params)


def test_the_cycle_page_counts_participants_per_town_and_lists_a_page(world, city_cycle, login):
    response = cycle_page(login(world.county_assessor_a), city_cycle)
    assert response.context["participant_total"] == CITY + 3
    towns = {t["name"]: t for t in response.context["towns"]}
    assert len(towns) == TOWNS + 2
    assert towns["C镇07"]["n"] == 100 and towns["城关镇"]["n"] == 2
    assert len(response.context["participants"]) == 50
    html = response.content.decode()
    assert f"共 {CITY + 3} 人，参加评定 {CITY + 3} 人" in html
    assert 'data-testid="participant-filter"' in html and 'data-testid="pager"' in html


def test_the_cycle_page_finds_participants_by_search_town_and_grading(world, city_cycle, login):
    client = login(world.county_assessor_a)
    found = cycle_page(client, city_cycle, q="C0042").context["participants"]
    assert [p.secretary.staff_no for p in found] == ["C0042"]
    town = OrgUnit.objects.get(code="C11")
    listed = cycle_page(client, city_cycle, town=town.pk, per_page=200)
    assert len(listed.context["participants"]) == 100
    assert {p.community.parent_id for p in listed.context["participants"]} == {town.pk}
    participant = city_cycle.participants.get(secretary__staff_no="C0011")
    cycles.set_grading(
        actor=None,
        participant=participant,
        version=participant.version,
        is_graded=False,
        reason="新任",
    )
    ungraded = cycle_page(client, city_cycle, graded="no")
    assert [p.pk for p in ungraded.context["participants"]] == [participant.pk]
    assert "（新任）" in ungraded.content.decode()
    html = cycle_page(client, city_cycle, town=town.pk, page=2).content.decode()
    assert f"town={town.pk}" in re.search(r'href="([^"]+)" rel="prev"', html).group(1)


def test_a_town_assessor_sees_their_town_on_the_cycle_page_whatever_the_filter(
    world, city_cycle, login
):
    client = login(world.town_assessor_a)
    page = cycle_page(client, city_cycle)
    assert page.context["participant_total"] == 2
    assert [t["name"] for t in page.context["towns"]] == ["城关镇"]
    other = OrgUnit.objects.get(code="C05")
    assert list(cycle_page(client, city_cycle, town=other.pk).context["participants"]) == []


# ------------------------------------------------------------------------ preview


def test_the_preview_of_a_city_names_a_few_and_counts_everyone(world, city_cycle, login):
    response = login(world.county_assessor_a).get(reverse("result-preview", args=[city_cycle.pk]))
    (group,) = response.context["preview"].groups
    assert group.n == CITY + 3
    version = current_results(city_cycle)
    results = Result.objects.filter(version=version)
    candidates = results.filter(
        graded=True, veto=False, final__gte=city_cycle.threshold_excellent
    ).count()
    assert group.counts["candidates"] == candidates
    assert [t[2] for t in group.tiers] == [
        results.filter(tier=label).count() for label in ("一档", "二档", "三档")
    ]
    assert group.pay_total == sum(r.pay for r in results if r.pay is not None)
    # 1,503 reach the 优秀 line for 600 places: the tied group across the cap (ranks
    # 454–603) is named up to 20 of its 150, and so are the 1,050 the cap demoted.
    tie = group.excellent_tie
    assert (tie.rank, tie.size, len(tie.members), tie.more) == (454, 150, 20, 130)
    assert group.counts["demoted"] == 1050 and len(group.demoted) == 20
    assert group.more["demoted"] == 1030
    assert len(group.candidates) == 20 and group.counts["candidates"] == 1503
    assert "1050 人达到优秀线" in " ".join(group.warnings)
    assert 'data-testid="more"' in response.content.decode()


def test_a_cycle_ranked_per_town_previews_a_page_of_towns(world, city_cycle, login):
    """Ranked per town, a city has a group per town: the preview shows ten at a time
    and its totals are the whole cycle's."""
    version = current_results(city_cycle)
    towns = dict(OrgUnit.objects.filter(kind="town").values_list("pk", "code"))
    by_town = Counter()
    for result in version.results.select_related("participant__community"):
        result.group = towns[result.participant.community.parent_id]
        by_town[result.group] += 1
        result.save(update_fields=["group"])
    version.groups = [
        {"key": key, "n": n, "quota": n // 5, "top": n // 5, "bottom": n // 5}
        for key, n in sorted(by_town.items())
    ]
    version.save(update_fields=["groups"])
    client = login(world.county_assessor_a)
    url = reverse("result-preview", args=[city_cycle.pk])
    first = client.get(url)
    preview = first.context["preview"]
    assert len(preview.groups) == 10 and first.context["page_obj"].paginator.count == TOWNS + 2
    assert preview.pay_expected == D(1000) * (CITY + 3)
    assert preview.pay_total == sum(r.pay for r in version.results.all())
    last = client.get(url, {"page": 4})
    assert [(g.name, g.n) for g in last.context["preview"].groups] == [
        ("城关镇", 2),
        ("东湖街道", 1),
    ]
    assert len(first.content) < MAX_PAGE


# -------------------------------------------------------------------------- lists


def test_the_event_list_offers_towns_not_every_community(world, city_cycle, login):
    client = login(world.county_assessor_a)
    url = reverse("event-list", args=[city_cycle.pk])
    response = client.get(url)
    assert len(response.context["units"]) == TOWNS + 2
    town = OrgUnit.objects.get(code="C02")
    by_town = client.get(url, {"unit": town.pk, "per_page": 200})
    assert len(by_town.context["events"]) == 100
    found = client.get(url, {"q": "C0333"}).context["events"]
    assert [e.participant.secretary.staff_no for e in found] == ["C0333"]
    community = OrgUnit.objects.get(code="C020002")
    chosen = client.get(url, {"unit": community.pk})
    assert community in chosen.context["units"] and len(chosen.context["events"]) == 1


def test_the_filing_and_rectification_lists_paginate_and_search(world, city_cycle, login):
    client = login(world.county_assessor_a)
    filings = client.get(reverse("filing-list", args=[city_cycle.pk]), {"q": "C0777"})
    assert [f.participant.secretary.staff_no for f in filings.context["filings"]] == ["C0777"]
    listed = client.get(reverse("filing-list", args=[city_cycle.pk]))
    assert len(listed.context["filings"]) == 50
    assert listed.context["page_obj"].paginator.count == CITY + 3
    items = client.get(reverse("rectification-list", args=[city_cycle.pk]), {"per_page": 100})
    assert len(items.context["items"]) == 100
    assert items.context["page_obj"].paginator.count == CITY + 3
    assert len(items.context["units"]) == TOWNS + 2


def test_the_key_task_page_counts_every_community_and_lists_a_page(world, city_cycle, login):
    client = login(world.county_assessor_a)
    url = reverse("keytask-detail", args=[task_of(city_cycle).pk])
    response = client.get(url)
    assert response.context["total"] == CITY + 3
    assert sum(n for _s, _label, n in response.context["counts"]) == CITY + 3
    assert len(response.context["cells"]) == 20  # a card per community: 20 to a page
    town = OrgUnit.objects.get(code="C09")
    assert len(client.get(url, {"town": town.pk, "per_page": 100}).context["cells"]) == 100
    assert len(client.get(url, {"q": "社区0009"}).context["cells"]) == 1


def test_the_paper_counts_are_counted_per_state_and_listed_a_page_at_a_time(
    world, city_cycle, login
):
    client = login(world.county_assessor_a)
    url = reverse("paper-tallies", args=[city_cycle.pk])
    response = client.get(url, {"status": "agreed", "q": "社区0500"})
    (group,) = response.context["groups"]
    assert group.community.code == "C200500"
    key = re.search(r'href="([^"]+)" data-testid="(?:key|edit)-tally"', response.content.decode())
    assert key is not None and "back=" in key.group(1)
