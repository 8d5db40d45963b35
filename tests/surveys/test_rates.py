"""SPEC §3.4 satisfaction rate, end to end: online ballots and agreed paper counts go
through the survey input source into `compute_cycle`, and the seed template's `survey`
leaf (2.6 群众满意度, 15 points) takes points × rate / 100."""

from datetime import date
from decimal import Decimal

import pytest

from scoring.models import LeafResult
from scoring.services import compute_cycle
from surveys.inputs import survey_input
from surveys.models import Ballot, Choice
from surveys.tallies import selectors
from surveys.tallies import services as tallies
from tests.factories import fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def category(cycle, name):
    return cycle.frozen_template.survey_categories.get(name=name)


def cast(cycle, community, name, choice, n, on=date(2026, 6, 1), comment=""):
    Ballot.objects.bulk_create(
        Ballot(
            cycle=cycle,
            community=community,
            category=category(cycle, name),
            choice=choice,
            cast_on=on,
            comment=comment,
        )
        for _ in range(n)
    )


def key_twice(world, cycle, community, name, **counts):
    for person in (world.county_assessor_a, world.town_assessor_a):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=community,
            category=category(cycle, name),
            counts={"satisfied": 0, "basic": 0, "unsatisfied": 0, "unknown": 0, **counts},
        )


def result_of(leaf):
    return leaf.sheet.results.get(version__is_current=True)


def survey_leaf(cycle, community):
    compute_cycle(cycle.pk)
    return LeafResult.objects.get(
        sheet__results__version__cycle=cycle,
        sheet__results__version__is_current=True,
        sheet__participant__community=community,
        leaf__method="survey",
    )


def test_rate_weights_the_categories_with_counted_ballots_and_leaves_out_an_empty_one(world, cycle):
    """SPEC §3.4 worked example (城东社区):
    居民代表 (60): online 3 满意, 1 基本满意, 1 不满意, 2 不了解 → (300 + 60 + 0) / 5 = 72;
    物业 (20): paper, keyed twice and agreeing, 2 满意 + 2 基本满意 → 320 / 4 = 80;
    共建单位 (20): only 不了解 → no counted ballot → left out of the weighting.
    rate = (60 × 72 + 20 × 80) / (60 + 20) = 74; leaf = 15 × 74 / 100 = 11.10."""
    a1 = world.community_a1
    cast(cycle, a1, "居民代表", Choice.SATISFIED, 3)
    cast(cycle, a1, "居民代表", Choice.BASIC, 1)
    cast(cycle, a1, "居民代表", Choice.UNSATISFIED, 1)
    cast(cycle, a1, "居民代表", Choice.UNKNOWN, 2)
    cast(cycle, a1, "共建单位", Choice.UNKNOWN, 1)
    key_twice(world, cycle, a1, "物业", satisfied=2, basic=2)
    key_twice(world, cycle, a1, "共建单位", unknown=3)

    leaf = survey_leaf(cycle, a1)

    assert leaf.basis == Decimal("74")
    assert leaf.target_value == leaf.org_value == Decimal("11.10")
    assert "无有效测评票" not in result_of(leaf).warnings


def test_unknown_is_not_counted(world, cycle):
    """SPEC §3.4: 不了解 neither counts as a ballot nor lowers the rate: 1 满意 and 9
    不了解 give 100."""
    cast(cycle, world.community_a1, "居民代表", Choice.SATISFIED, 1)
    cast(cycle, world.community_a1, "居民代表", Choice.UNKNOWN, 9)

    leaf = survey_leaf(cycle, world.community_a1)

    assert leaf.basis == Decimal("100")
    assert leaf.target_value == Decimal("15.00")


def test_no_counted_ballot_at_all_gives_rate_zero_and_a_warning(world, cycle):
    """SPEC §3.4: no counted ballot → rate 0 and a warning; only 不了解 is the same."""
    cast(cycle, world.community_b1, "物业", Choice.UNKNOWN, 4)

    for community in (world.community_a2, world.community_b1):
        leaf = survey_leaf(cycle, community)
        assert leaf.target_value == Decimal("0.00")
        assert "无有效测评票" in result_of(leaf).warnings


def test_paper_counts_count_only_once_both_keyings_agree(world, cycle):
    """双人录入: one keying alone is not counted (rate 0, warning); the second, agreeing
    keying makes the counts count (SPEC §3.4 with 基本满意 = 60)."""
    a1 = world.community_a1
    tallies.key_tally(
        actor=world.county_assessor_a,
        cycle=cycle,
        community=a1,
        category=category(cycle, "居民代表"),
        counts={"satisfied": 0, "basic": 5, "unsatisfied": 0, "unknown": 0},
    )
    assert survey_leaf(cycle, a1).target_value == Decimal("0.00")

    tallies.key_tally(
        actor=world.town_assessor_a,
        cycle=cycle,
        community=a1,
        category=category(cycle, "居民代表"),
        counts={"satisfied": 0, "basic": 5, "unsatisfied": 0, "unknown": 0},
    )
    cycle.refresh_from_db()
    assert survey_leaf(cycle, a1).target_value == Decimal("9.00")


def test_changed_weights_change_the_rate(world, cycle):
    """SPEC §3.4 weights per cycle: 居民代表 100 (4 满意) and 物业 0 (4 不满意) → 100."""
    a1 = world.community_a1
    cast(cycle, a1, "居民代表", Choice.SATISFIED, 4)
    cast(cycle, a1, "物业", Choice.UNSATISFIED, 4)
    assert survey_leaf(cycle, a1).basis == Decimal("75")  # (60 × 100 + 20 × 0) / 80

    tallies.update_settings(
        actor=world.county_assessor_a,
        cycle=cycle,
        version=1,
        weights={category(cycle, "居民代表").pk: "100", category(cycle, "物业").pk: "0"},
    )
    cycle.refresh_from_db()

    assert survey_leaf(cycle, a1).basis == Decimal("100")


def test_provisional_scores_count_ballots_cast_up_to_the_cutoff(world, cycle):
    """SPEC §3.6: a quarter's provisional rate counts ballots cast by its end only."""
    a1 = world.community_a1
    cast(cycle, a1, "居民代表", Choice.SATISFIED, 2, on=date(2026, 3, 31))
    cast(cycle, a1, "居民代表", Choice.UNSATISFIED, 2, on=date(2026, 4, 1))

    counts = survey_input(cycle, date(2026, 3, 31)).survey_counts

    assert [(c.community, c.category, c.satisfied, c.unsatisfied) for c in counts] == [
        ("QA101", "居民代表", 2, 0)
    ]


def test_the_input_source_loads_in_a_fixed_number_of_queries(
    world, cycle, django_assert_num_queries
):
    """DESIGN §3: one grouped query for ballots, one for whether paper counts are keyed
    twice, one for the paper counts' groups, whatever the size."""
    for community in (world.community_a1, world.community_a2, world.community_b1):
        cast(cycle, community, "居民代表", Choice.SATISFIED, 2)
    for community in (world.community_a1, world.community_a2):
        key_twice(world, cycle, community, "物业", basic=3)

    with django_assert_num_queries(3):
        counts = survey_input(cycle, None).survey_counts

    assert len(counts) == 5


def test_the_results_page_shows_the_same_rate_as_the_score(world, cycle):
    """SPEC §3.4 written once: the aggregate shown equals the leaf's basis."""
    a1 = world.community_a1
    cast(cycle, a1, "居民代表", Choice.SATISFIED, 3)
    cast(cycle, a1, "居民代表", Choice.BASIC, 2)
    cast(cycle, a1, "物业", Choice.BASIC, 5)
    audience = selectors.Audience([selectors.community_of(a1)], comments=True)

    [result] = selectors.aggregate_results(cycle, audience)

    assert result.rate == Decimal("78.00")  # (60 × 84 + 20 × 60) / 80
    assert survey_leaf(cycle, a1).basis == Decimal("78")
    assert [(c.name, c.rate) for c in result.categories] == [
        ("居民代表", Decimal("84.00")),
        ("共建单位", None),
        ("物业", Decimal("60.00")),
    ]
