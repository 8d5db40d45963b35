"""Survey pages (issue 6): return rates while the survey runs, aggregate results with the
K threshold afterwards, paper-count keying in the browser, settings; who sees what
(SPEC §1: out of scope → 404, a page the role never has → 403)."""

from datetime import date

import pytest
from django.urls import reverse

from assessment.models import Cycle, CycleStatus
from surveys.models import Ballot, BallotBatch, BallotToken, Choice, PaperTally
from surveys.tallies import selectors
from surveys.tallies import services as tallies
from tests.factories import fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

COUNTS = {"satisfied": "2", "basic": "3", "unsatisfied": "1", "unknown": "0"}


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def category(cycle, name):
    return cycle.frozen_template.survey_categories.get(name=name)


def issue(cycle, community, name, size, used):
    batch = BallotBatch.objects.create(
        cycle=cycle, community=community, category=category(cycle, name), size=size
    )
    BallotToken.objects.bulk_create(
        BallotToken(
            batch=batch,
            # Distinct digests without chance: batch and position.
            digest=f"{batch.pk:032x}{i:032x}",
            used_on=date(2026, 6, 1) if i < used else None,
        )
        for i in range(size)
    )


def cast(cycle, community, name, choice, n, comment=""):
    Ballot.objects.bulk_create(
        Ballot(
            cycle=cycle,
            community=community,
            category=category(cycle, name),
            choice=choice,
            comment=comment,
            cast_on=date(2026, 6, 1),
        )
        for _ in range(n)
    )


def set_status(cycle, status):
    Cycle.objects.filter(pk=cycle.pk).update(status=status)


def url(name, cycle):
    return reverse(name, args=[cycle.pk])


# --------------------------------------------------------------------- return rates


@pytest.fixture
def returns(world, cycle):
    issue(cycle, world.community_a1, "居民代表", 10, used=4)
    issue(cycle, world.community_a2, "物业", 5, used=0)
    issue(cycle, world.community_b1, "居民代表", 4, used=4)
    for person in (world.county_assessor_a, world.town_assessor_a):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=world.community_a1,
            category=category(cycle, "居民代表"),
            counts=COUNTS,
        )
    return cycle


def test_return_rates_per_community_category_town_and_county(world, returns):
    communities = selectors.staff_communities(world.county_assessor_a, returns)

    per_community, towns, county = selectors.return_rates(returns, communities)

    a1 = per_community[0]
    residents = a1.rows[0]
    assert (a1.community.code, residents.label) == ("QA101", "居民代表")
    assert (residents.issued, residents.used, str(residents.rate), residents.paper) == (
        10,
        4,
        "40.00",
        6,
    )
    assert residents.status == tallies.TallyStatus.AGREED
    assert [(t.label, t.issued, t.used, str(t.rate)) for t in towns] == [
        ("城关镇", 15, 4, "26.67"),
        ("东湖街道", 4, 4, "100.00"),
    ]
    assert (county.issued, county.used, county.paper, str(county.rate)) == (19, 8, 6, "42.11")


@pytest.mark.parametrize("double_entry", [True, False])
def test_town_totals_summed_in_the_database_equal_the_per_community_reading(
    world, returns, double_entry
):
    """The dashboard's return rates (`town_return_rates`, summed per town in SQL) equal
    the towns and county of `return_rates` — agreeing, disagreeing and single keyings,
    a town with no ballots at all, under double and single entry."""
    from surveys.models import SurveySettings

    SurveySettings.objects.update_or_create(cycle=returns, defaults={"double_entry": double_entry})
    residents = category(returns, "居民代表")
    for person, counts in (
        (world.county_assessor_a, COUNTS),
        (world.town_assessor_a, {**COUNTS, "basic": "4"}),
    ):
        tallies.key_tally(
            actor=person,
            cycle=returns,
            community=world.community_a2,
            category=residents,
            counts=counts,
        )
    tallies.key_tally(
        actor=world.county_assessor_a,
        cycle=returns,
        community=world.community_b1,
        category=residents,
        counts=COUNTS,
    )
    for person in (world.county_assessor_a, world.town_assessor_a, world.admin_a):
        participants = selectors.staff_participants(person, returns)
        rows, towns, county = selectors.return_rates(
            returns, selectors.staff_communities(person, returns)
        )
        by_name, total = selectors.town_return_rates(returns, participants)
        assert {name: (t.issued, t.used, t.paper) for name, t in by_name.items()} == {
            t.label: (t.issued, t.used, t.paper) for t in towns
        }
        assert (total.issued, total.used, total.paper) == (county.issued, county.used, county.paper)
    assert total.paper > 0


def test_no_community_in_scope_gives_no_county_return_rate(world, returns):
    nobody = selectors.staff_participants(world.secretary_a1, returns)
    assert selectors.town_return_rates(returns, nobody) == ({}, None)


def test_the_return_rates_page_pins_its_queries(
    world, returns, login, django_assert_max_num_queries
):
    client = login(world.county_assessor_a)

    with django_assert_max_num_queries(16):
        response = client.get(url("survey-return-rates", returns))

    assert response.status_code == 200
    assert "40.00%" in response.content.decode()


def test_a_town_assessor_sees_the_return_rates_of_their_own_town(world, returns, login):
    page = login(world.town_assessor_a).get(url("survey-return-rates", returns)).content.decode()

    assert "城东社区" in page and "城西社区" in page
    assert "东湖社区" not in page


@pytest.mark.parametrize("name", ["survey-return-rates", "paper-tallies", "survey-settings"])
def test_secretaries_never_have_the_staff_survey_pages(world, cycle, login, name):
    assert login(world.secretary_a1).get(url(name, cycle)).status_code == 403


@pytest.mark.parametrize(
    "name", ["survey-return-rates", "paper-tallies", "survey-settings", "survey-results"]
)
def test_a_cycle_of_another_county_is_not_found(world, login, name):
    other = open_seed_cycle(world.county_b)

    assert login(world.outsider_b).get(url(name, other)).status_code == 404


# -------------------------------------------------------------------------- results


@pytest.fixture
def answered(world, cycle):
    """城东社区: 居民代表 6 counted (shown at K = 5), 物业 3 counted (hidden)."""
    cast(cycle, world.community_a1, "居民代表", Choice.SATISFIED, 5, comment="活动多，办事快")
    cast(cycle, world.community_a1, "居民代表", Choice.BASIC, 1, comment="停车难")
    cast(cycle, world.community_a1, "物业", Choice.UNSATISFIED, 3, comment="物业费沟通不够")
    cast(cycle, world.community_b1, "居民代表", Choice.SATISFIED, 5, comment="东湖的意见")
    return cycle


def test_staff_see_results_only_after_the_survey(world, answered, login):
    client = login(world.county_assessor_a)
    page = client.get(url("survey-results", answered)).content.decode()
    assert "测评进行中" in page and "东湖的意见" not in page

    set_status(answered, CycleStatus.SCORING)
    page = client.get(url("survey-results", answered)).content.decode()
    assert "东湖的意见" in page


def test_a_category_below_k_shows_neither_counts_rate_nor_comments(world, answered, login):
    """SPEC §3.4 Validity: 物业 (3 ballots) is hidden — and so is 居民代表 beside it, since
    93.33 % on 6 ballots and the overall 70.00 % on 9 would give 物业 away (0 % on 3)."""
    set_status(answered, CycleStatus.SCORING)

    page = login(world.county_assessor_a).get(url("survey-results", answered)).content.decode()

    assert "93.33%" not in page and "停车难" not in page
    assert "样本不足 5 份，不单独显示" in page
    assert "物业费沟通不够" not in page
    # the overall rate counts 物业 all the same: (60 × 93.33… + 20 × 0) / 80
    assert "满意率 70.00%（有效票 9 份）" in page


def test_comments_are_sorted_by_text_without_dates(world, answered):
    set_status(answered, CycleStatus.SCORING)
    cast(answered, world.community_b1, "居民代表", Choice.BASIC, 1, comment="停车难")
    audience = selectors.Audience([selectors.community_of(world.community_b1)], comments=True)

    [result] = selectors.aggregate_results(answered, audience)

    assert result.categories[0].comments == ["东湖的意见"] * 5 + ["停车难"]
    assert result.categories[2].comments == []


def test_with_a_larger_k_the_overall_rate_is_hidden_too(world, answered):
    tallies.update_settings(
        actor=world.county_assessor_a, cycle=answered, version=1, min_group_size=10
    )
    audience = selectors.Audience([selectors.community_of(world.community_a1)], comments=True)

    [result] = selectors.aggregate_results(answered, audience)

    assert not result.shown
    assert [c.shown for c in result.categories] == [False, False, False]


def test_the_results_page_pins_its_queries(world, answered, login, django_assert_max_num_queries):
    set_status(answered, CycleStatus.SCORING)
    client = login(world.admin_a)

    # + the 通知 bell's unread count, + whether paper counts are keyed twice
    with django_assert_max_num_queries(18):
        response = client.get(url("survey-results", answered))

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="survey-result"') == 3


def test_a_town_assessor_sees_results_of_their_own_town_only(world, answered, login):
    set_status(answered, CycleStatus.SCORING)

    page = login(world.outsider_b).get(url("survey-results", answered)).content.decode()

    assert "东湖的意见" in page
    assert "城东社区" not in page


def test_a_secretary_sees_their_own_aggregate_after_publication_without_comments(
    world, answered, login
):
    """SPEC §1: own results after publication; residents' words never reach the person
    they judged."""
    client = login(world.secretary_a1)
    assert client.get(url("survey-results", answered)).status_code == 404

    set_status(answered, CycleStatus.REVIEW)
    page = client.get(url("survey-results", answered)).content.decode()

    # 居民代表 is hidden beside the small 物业 (SPEC §3.4 Validity); the overall shows.
    assert "城东社区" in page and "满意率 70.00%" in page and "93.33%" not in page
    assert "停车难" not in page
    assert "东湖社区" not in page


# --------------------------------------------------------------------- paper counts


def test_keying_in_the_browser_shows_the_state(world, cycle, login):
    residents = category(cycle, "居民代表")
    entry = url("paper-tally-entry", cycle)
    target = {"community": world.community_a1.pk, "category": residents.pk}

    first = login(world.county_assessor_a).post(entry, {**target, **COUNTS}, follow=True)
    assert "当前状态：待复核" in first.content.decode()

    client = login(world.town_assessor_a)
    assert "本人录入" not in client.get(url("paper-tallies", cycle)).content.decode()
    second = client.post(entry, {**target, **COUNTS}, follow=True)

    assert "当前状态：一致" in second.content.decode()


def test_a_bad_count_is_shown_on_the_form_and_nothing_is_saved(world, cycle, login):
    response = login(world.county_assessor_a).post(
        url("paper-tally-entry", cycle),
        {
            "community": world.community_a1.pk,
            "category": category(cycle, "物业").pk,
            **COUNTS,
            "basic": "-2",
        },
    )

    assert response.status_code == 200
    assert "“基本满意”票数应为不小于 0 的整数。" in response.content.decode()
    assert not PaperTally.objects.exists()


def test_a_mismatch_shows_both_keyings_to_county_managers_only(world, cycle, login):
    residents = category(cycle, "居民代表")
    for person, satisfied in ((world.county_assessor_a, 2), (world.town_assessor_a, 9)):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=world.community_a1,
            category=residents,
            counts={**COUNTS, "satisfied": satisfied},
        )

    manager = login(world.admin_a).get(url("paper-tallies", cycle)).content.decode()
    assert manager.count('data-testid="conflict-keying"') == 2
    town = login(world.town_assessor_a).get(url("paper-tallies", cycle)).content.decode()
    assert "不一致" in town and 'data-testid="conflict-keying"' not in town


def test_the_paper_count_list_pins_its_queries(
    world, returns, login, django_assert_max_num_queries
):
    client = login(world.county_assessor_a)

    with django_assert_max_num_queries(16):  # + the 通知 bell's unread count
        response = client.get(url("paper-tallies", returns))

    assert response.content.decode().count('data-testid="tally-row"') == 9


def test_keying_a_community_outside_ones_town_is_not_found(world, cycle, login):
    response = login(world.town_assessor_a).get(
        url("paper-tally-entry", cycle),
        {"community": world.community_b1.pk, "category": category(cycle, "物业").pk},
    )

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["observer_a", "secretary_a1"])
def test_observers_and_secretaries_do_not_key(world, cycle, login, persona):
    response = login(world.persona(persona)).post(
        url("paper-tally-entry", cycle),
        {"community": world.community_a1.pk, "category": category(cycle, "物业").pk, **COUNTS},
    )

    assert response.status_code == 403
    assert not PaperTally.objects.exists()


# ------------------------------------------------------------------------ settings


def test_an_observer_reads_the_settings_and_may_not_change_them(world, cycle, login):
    client = login(world.observer_a)

    page = client.get(url("survey-settings", cycle)).content.decode()
    assert "居民代表" in page and 'data-testid="save-survey-settings"' not in page
    assert client.post(url("survey-settings", cycle), {"version": 1}).status_code == 403


def test_a_county_assessor_saves_the_settings(world, cycle, login):
    categories = dict(cycle.frozen_template.survey_categories.values_list("name", "pk"))
    form = {
        "version": 1,
        "min_group_size": "3",
        f"weight_{categories['居民代表']}": "70",
        f"weight_{categories['物业']}": "15",
        f"weight_{categories['共建单位']}": "15",
    }

    response = login(world.county_assessor_a).post(url("survey-settings", cycle), form)

    assert response.status_code == 302
    saved = tallies.settings_of(cycle)
    assert (saved.min_group_size, saved.double_entry) == (3, False)
    assert category(cycle, "居民代表").weight == 70


def test_a_town_assessor_may_not_change_the_settings(world, cycle, login):
    response = login(world.town_assessor_a).post(
        url("survey-settings", cycle), {"version": 1, "min_group_size": "3"}
    )

    assert response.status_code == 403
    assert tallies.settings_of(cycle).pk is None


def test_the_cycle_page_links_staff_to_the_survey_pages_and_secretaries_to_their_own(
    world, cycle, login
):
    staff = login(world.observer_a).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert b'data-testid="link-paper-tallies"' in staff
    assert b'data-testid="link-survey-results"' in staff

    secretary = login(world.secretary_a1).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert b'data-testid="link-survey-results"' not in secretary
    set_status(cycle, CycleStatus.PUBLISHED)
    secretary = login(world.secretary_a1).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert b'data-testid="link-paper-tallies"' not in secretary
    assert b'data-testid="link-survey-results"' in secretary
