"""Small surveys reveal votes (issue 14, item 3; SPEC §3.4 Validity): a community whose
counted ballots (online + paper) are fewer than K has no valid 民主评议 — its survey leaf
says 样本不足, 开始公示 is refused naming it, and its rate (or the points that reveal it)
is shown to the county's own staff only."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from assessment import services as cycles
from assessment.models import Cycle
from scoring.grid.loading import _without_small_samples
from scoring.inputs import SmallSample, small_samples
from scoring.models import Result
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


def counts(satisfied, basic=0, unsatisfied=0, unknown=0):
    return {"satisfied": satisfied, "basic": basic, "unsatisfied": unsatisfied, "unknown": unknown}


@pytest.fixture
def key(world, cycle):
    """Single-entry paper counts of the 居民代表 category."""
    tallies.update_settings(
        actor=world.county_assessor_a, cycle=cycle, version=1, double_entry=False
    )
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")

    def _key(community, n, actor=None):
        tallies.key_tally(
            actor=actor or world.county_assessor_a,
            cycle=Cycle.objects.get(pk=cycle.pk),
            community=community,
            category=residents,
            counts=n,
        )

    return _key


def test_fewer_than_k_counted_ballots_is_a_small_sample_k_are_not(world, cycle, key):
    """K = 5 by default; 不了解 is not counted; none at all is fewer than K too."""
    key(world.community_a1, counts(2, 1, 0, unknown=4))
    key(world.community_a2, counts(3, 1, 1))
    assert small_samples(cycle) == {
        world.community_a1.pk: SmallSample(3, 5),
        world.community_b1.pk: SmallSample(0, 5),
    }
    assert small_samples(cycle, [world.community_a2.pk]) == {}


def test_a_few_communities_counted_on_their_own_equal_the_whole_cycles_reading(world, cycle, key):
    """A participant page or a grid page counts its communities' ballots alone (while
    scores are entered the cached whole reading is outdated at every save): the same
    numbers, for each community, for a few, and for more than are counted alone."""
    from surveys.tallies import selectors

    key(world.community_a1, counts(2, 1, 0, unknown=4))
    key(world.community_a2, counts(3, 1, 1))
    whole = selectors.counted_ballots(cycle)
    assert whole == {
        world.community_a1.pk: 3,
        world.community_a2.pk: 5,
        world.community_b1.pk: 0,
    }
    for pk, n in whole.items():
        assert selectors.counted_ballots(cycle, [pk]) == {pk: n}
    two = [world.community_a1.pk, world.community_b1.pk]
    assert selectors.counted_ballots(cycle, two) == {pk: whole[pk] for pk in two}
    many = [*whole, *range(10**6, 10**6 + selectors.NARROWED_COMMUNITIES)]
    assert selectors.counted_ballots(cycle, many) == whole
    # A community that takes no part counts nowhere.
    assert selectors.counted_ballots(cycle, [world.county_a.pk]) == {}


def test_starting_review_is_refused_listing_the_small_communities(world, cycle, key):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)  # K ballots everywhere
    key(world.community_a1, counts(1, 1, 1), actor=world.admin_a)  # the latest keying: 3
    cycle = complete_scoring(Cycle.objects.get(pk=cycle.pk), world.county_assessor_a)
    problems = cycles.blockers(cycle, "start_review")
    message = next(p for p in problems if "民主评议样本不足" in p)
    assert "城东社区 3 张" in message and "少于 5 张" in message
    assert "城西社区" not in message
    with pytest.raises(ValidationError, match="民主评议样本不足"):
        cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    # A later keying (single entry: the latest counts) brings it to K.
    key(world.community_a1, counts(3, 1, 1), actor=world.town_assessor_a)
    complete_scoring(Cycle.objects.get(pk=cycle.pk), world.county_assessor_a)
    cycle = Cycle.objects.get(pk=cycle.pk)
    assert not [p for p in cycles.blockers(cycle, "start_review") if "样本不足" in p]
    cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


def test_the_rate_below_k_is_shown_to_county_staff_only(world, cycle, key, login):
    complete_scoring(cycle, world.county_assessor_a)
    key(world.community_a1, counts(1, 1, 1), actor=world.admin_a)
    compute_cycle(cycle.pk)
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    url = reverse("result-detail", args=[a1.pk])
    card = reverse("result-card", args=[a1.pk])
    # Town staff: every total, subtotal and step contains the rate, so none is shown.
    for page in (url, card):
        town = login(world.town_assessor_a).get(page).content.decode()
        assert 'data-testid="result-withheld"' in town and "有效测评票只有 3 张，少于 5 张" in town
        assert "满意率 " not in town and "%" not in town.split("result-withheld")[1][:400]
        assert 'data-testid="leaf-table"' not in town
        assert 'data-testid="steps"' not in town and 'id="radar-data"' not in town
    county = login(world.county_assessor_a).get(url).content.decode()
    assert 'data-testid="leaf-caveat"' in county and "满意率" in county
    assert "有效测评票 3 张，少于 5 张，测评无效" in county
    assert 'data-testid="result-withheld"' not in county


def test_the_confirmation_of_a_transition_counts_paper_counts_that_do_not_count(world, cycle):
    """Issue 14, item 8: before scoring, the confirmation says how many paper counts
    wait for their second keying or disagree (neither counts in the rate)."""
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")

    def key(actor, community, n):
        tallies.key_tally(
            actor=actor, cycle=cycle, community=community, category=residents, counts=counts(n)
        )

    key(world.county_assessor_a, world.community_a1, 5)
    key(world.county_assessor_a, world.community_a2, 5)
    key(world.town_assessor_a, world.community_a2, 6)
    lines = [str(line) for line in cycles.consequences(cycle, "start_scoring")]
    assert "1 组纸质票两次录入不一致，不计入满意率，请核对后更正。" in lines
    assert "1 组纸质票只录入了一次，等待第二人录入，暂不计入满意率。" in lines


def test_k_cannot_rise_once_results_are_on_show(world, cycle):
    """From 公示 on secretaries see their results: raising K then would make a community
    small while its rate is shown (SPEC §3.4 Validity)."""
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    version = tallies.settings_of(cycle).version
    with pytest.raises(ValidationError, match="公示开始后不能再修改结果显示最少票数"):
        tallies.update_settings(
            actor=world.county_assessor_a, cycle=cycle, version=version, min_group_size=10
        )


def test_the_grid_and_the_api_keep_the_small_sample_from_town_staff(world, cycle, key, login):
    """SPEC §3.4 Validity, in the score grid (the computed survey cell) and the results
    API (every score of the result): county staff see them, town staff do not."""
    complete_scoring(cycle, world.county_assessor_a)
    key(world.community_a1, counts(1, 1, 1), actor=world.admin_a)
    version = compute_cycle(cycle.pk)
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    survey = cycle.frozen_template.nodes.get(method="survey", children__isnull=True)
    columns = [type("Column", (), {"leaf": survey})()]
    computed = {(a1.pk, survey.pk): (1, 1, False)}
    assert _without_small_samples(world.town_assessor_a, cycle, columns, [a1], computed) == {}
    assert _without_small_samples(world.county_assessor_a, cycle, columns, [a1], computed)
    result = Result.objects.get(version=version, participant=a1)
    api = APIClient()
    api.force_authenticate(world.town_assessor_a)
    data = api.get(f"/api/v1/results/{result.pk}/").json()
    assert data["withheld"] is True and data["final"] is None and data["leaves"] == []
    api.force_authenticate(world.county_assessor_a)
    data = api.get(f"/api/v1/results/{result.pk}/").json()
    assert data["withheld"] is False and data["final"] is not None and data["leaves"]
    # The ranking: the row's scores likewise.
    ranking = reverse("ranking", args=[cycle.pk])
    town = login(world.town_assessor_a).get(ranking)
    row = next(r for r in town.context["rows"] if r.participant_id == a1.pk)
    assert row.withheld and 'data-testid="row-withheld"' in town.content.decode()
    county = login(world.county_assessor_a).get(ranking)
    assert not any(r.withheld for r in county.context["rows"])
