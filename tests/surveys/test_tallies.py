"""Paper counts with double entry (双人录入) and survey settings (issue 6, SPEC §2, §3.4):
the services in surveys.tallies, who may use them and when."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessment.models import Cycle, CycleStatus
from core.versioning import StaleVersion
from surveys.inputs import survey_counts
from surveys.models import PaperTally, SurveySettings
from surveys.tallies import services as tallies
from surveys.tallies.services import TallyStatus
from tests.factories import fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

FIVE_SATISFIED = {"satisfied": 5, "basic": 0, "unsatisfied": 0, "unknown": 1}
OTHER_COUNTS = {"satisfied": 4, "basic": 1, "unsatisfied": 0, "unknown": 1}


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def residents(cycle):
    return cycle.frozen_template.survey_categories.get(name="居民代表")


@pytest.fixture
def key(world, cycle, residents):
    def _key(person, counts=FIVE_SATISFIED, community=None, version=None):
        return tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=community or world.community_a1,
            category=residents,
            counts=counts,
            version=version,
        )

    return _key


def state(cycle, community, category):
    rows = [
        (t.keyed_by_id, t.counts, t.updated_at)
        for t in PaperTally.objects.filter(cycle=cycle, community=community, category=category)
    ]
    return tallies.tally_state(rows, tallies.settings_of(cycle).double_entry)


def inputs_version(cycle):
    return Cycle.objects.get(pk=cycle.pk).inputs_version


def counted(cycle):
    return dict(survey_counts(cycle))


# --------------------------------------------------------------------- double entry


def test_one_keying_waits_for_review_and_does_not_count(world, cycle, residents, key):
    before = inputs_version(cycle)

    key(world.county_assessor_a)

    assert state(cycle, world.community_a1, residents) == (TallyStatus.PENDING, None)
    assert counted(cycle) == {}
    assert inputs_version(cycle) == before  # nothing that counts changed: no recompute


def test_two_agreeing_keyings_by_two_people_count(world, cycle, residents, key):
    key(world.county_assessor_a)
    before = inputs_version(cycle)

    key(world.town_assessor_a)

    assert state(cycle, world.community_a1, residents) == (TallyStatus.AGREED, (5, 0, 0, 1))
    assert counted(cycle) == {("QA101", "居民代表"): [5, 0, 0, 1]}
    assert inputs_version(cycle) == before + 1


def test_two_disagreeing_keyings_are_a_mismatch_and_neither_counts(world, cycle, residents, key):
    key(world.county_assessor_a)
    key(world.town_assessor_a, OTHER_COUNTS)

    assert state(cycle, world.community_a1, residents) == (TallyStatus.CONFLICT, None)
    assert counted(cycle) == {}


def test_the_same_person_keying_twice_is_refused(world, key):
    key(world.county_assessor_a)

    with pytest.raises(ValidationError, match="您已录入过城东社区“居民代表”纸质票"):
        key(world.county_assessor_a)


def test_a_third_person_is_refused_while_double_entry_is_on(world, cycle, key):
    key(world.county_assessor_a)
    key(world.town_assessor_a, OTHER_COUNTS)

    with pytest.raises(ValidationError, match="不能再录入第三份"):
        key(world.admin_a)
    assert PaperTally.objects.filter(cycle=cycle).count() == 2


def test_a_correction_of_ones_own_keying_makes_them_agree(world, cycle, residents, key):
    key(world.county_assessor_a)
    mine = key(world.town_assessor_a, OTHER_COUNTS)
    before = inputs_version(cycle)

    corrected = key(world.town_assessor_a, FIVE_SATISFIED, version=mine.version)

    assert corrected.version == mine.version + 1
    assert state(cycle, world.community_a1, residents)[0] == TallyStatus.AGREED
    assert inputs_version(cycle) == before + 1
    assert corrected.history.first().history_user == world.town_assessor_a


def test_a_correction_on_a_stale_version_is_refused(world, key):
    mine = key(world.county_assessor_a)
    key(world.county_assessor_a, OTHER_COUNTS, version=mine.version)

    with pytest.raises(StaleVersion):
        key(world.county_assessor_a, FIVE_SATISFIED, version=mine.version)


def test_nobody_corrects_another_persons_keying(world, key):
    theirs = key(world.county_assessor_a)

    with pytest.raises(PermissionDenied):
        tallies.correct_tally(
            actor=world.town_assessor_a, tally=theirs, version=1, counts=OTHER_COUNTS
        )


def test_with_double_entry_off_the_latest_single_keying_counts(world, cycle, residents, key):
    tallies.update_settings(
        actor=world.county_assessor_a, cycle=cycle, version=1, double_entry=False
    )
    key(world.county_assessor_a)
    assert state(cycle, world.community_a1, residents) == (TallyStatus.SINGLE, (5, 0, 0, 1))

    key(world.town_assessor_a, OTHER_COUNTS)
    key(world.admin_a, OTHER_COUNTS)  # no third-keying limit without double entry

    assert counted(cycle) == {("QA101", "居民代表"): [4, 1, 0, 1]}


@pytest.mark.parametrize(
    ("counts", "field", "message"),
    [
        ({"satisfied": -1}, "satisfied", "“满意”票数应为不小于 0 的整数。"),
        ({"basic": "三"}, "basic", "“基本满意”票数应为不小于 0 的整数。"),
        ({"unsatisfied": ""}, "unsatisfied", "请填写“不满意”票数（没有请填 0）。"),
        ({"unknown": 100_001}, "unknown", "“不了解”票数不能超过 100000。"),
    ],
)
def test_counts_are_whole_numbers_from_zero_and_the_message_names_the_field(
    world, cycle, key, counts, field, message
):
    with pytest.raises(ValidationError) as refused:
        key(world.county_assessor_a, {**FIVE_SATISFIED, **counts})

    assert refused.value.message_dict == {field: [message]}
    assert not PaperTally.objects.filter(cycle=cycle).exists()


def test_full_width_digits_are_read_as_numbers(world, key):
    tally = key(world.county_assessor_a, {**FIVE_SATISFIED, "satisfied": "１２"})

    assert tally.satisfied == 12


# ------------------------------------------------------------------- who and when


@pytest.mark.parametrize("persona", ["observer_a", "secretary_a1", "outsider_b", "split_person"])
def test_only_county_staff_and_the_towns_assessors_key(world, key, persona):
    """SPEC §1: county assessors, and town assessors for their own town's communities."""
    with pytest.raises(PermissionDenied):
        key(world.persona(persona))


def test_a_town_assessor_keys_their_own_towns_communities_only(world, key):
    assert key(world.town_assessor_a, community=world.community_a2).pk
    with pytest.raises(PermissionDenied):
        key(world.town_assessor_a, community=world.community_b1)


def test_a_category_of_another_template_is_refused(world, cycle, key):
    other = open_seed_cycle(world.county_b)
    stray = other.frozen_template.survey_categories.get(name="居民代表")

    with pytest.raises(ValidationError, match="不属于本考核周期"):
        tallies.key_tally(
            actor=world.county_assessor_a,
            cycle=cycle,
            community=world.community_a1,
            category=stray,
            counts=FIVE_SATISFIED,
        )


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (CycleStatus.REVIEW, "当前状态为“公示中”，不能再录入纸质票计数。"),
        (CycleStatus.PUBLISHED, "不能再修改；如需更正请走复核程序"),
    ],
)
def test_paper_counts_are_keyed_while_open_or_scoring_only(world, cycle, key, status, message):
    key(world.county_assessor_a)
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.SCORING)
    key(world.town_assessor_a)  # 评分中 still takes paper counts

    Cycle.objects.filter(pk=cycle.pk).update(status=status)

    with pytest.raises(ValidationError, match=message):
        key(world.admin_a)


# ------------------------------------------------------------------------ settings


def test_settings_start_with_the_defaults_and_are_saved_on_first_change(world, cycle):
    defaults = tallies.settings_of(cycle)
    assert (defaults.pk, defaults.min_group_size, defaults.double_entry) == (None, 5, True)
    before = inputs_version(cycle)

    saved = tallies.update_settings(
        actor=world.county_assessor_a, cycle=cycle, version=1, min_group_size="8"
    )

    assert SurveySettings.objects.get(cycle=cycle).min_group_size == 8
    assert saved.version == 2
    assert inputs_version(cycle) == before  # K changes what is shown, not the score


def test_weights_of_the_frozen_template_change_and_results_go_stale(world, cycle):
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")
    before = inputs_version(cycle)

    tallies.update_settings(
        actor=world.admin_a, cycle=cycle, version=1, weights={residents.pk: "50"}
    )

    residents.refresh_from_db()
    assert residents.weight == 50
    assert residents.history.first().history_user == world.admin_a
    assert inputs_version(cycle) == before + 1
    assert cycle.template.survey_categories.get(name="居民代表").weight == 60


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"居民代表": "-1"}, "类别“居民代表”的权重不能为负数。"),
        ({"居民代表": "六十"}, "类别“居民代表”的权重应为数字。"),
        ({"居民代表": "0", "物业": "0", "共建单位": "0"}, "至少一个测评类别的权重应大于 0。"),
    ],
)
def test_weights_are_not_negative_and_one_is_positive(world, cycle, weights, message):
    categories = dict(cycle.frozen_template.survey_categories.values_list("name", "pk"))

    with pytest.raises(ValidationError) as refused:
        tallies.update_settings(
            actor=world.county_assessor_a,
            cycle=cycle,
            version=1,
            weights={categories[name]: value for name, value in weights.items()},
        )

    assert refused.value.message_dict == {"weights": [message]}
    assert not SurveySettings.objects.filter(cycle=cycle).exists()


def test_k_is_a_whole_number_from_one(world, cycle):
    with pytest.raises(ValidationError, match="1 到 1000 之间的整数"):
        tallies.update_settings(
            actor=world.county_assessor_a, cycle=cycle, version=1, min_group_size="0"
        )


@pytest.mark.parametrize(
    "persona", ["town_assessor_a", "observer_a", "secretary_a1", "split_person"]
)
def test_only_county_managers_change_settings(world, cycle, persona):
    with pytest.raises(PermissionDenied):
        tallies.update_settings(
            actor=world.persona(persona), cycle=cycle, version=1, min_group_size=3
        )


def test_settings_on_a_stale_version_or_in_a_locked_cycle_are_refused(world, cycle):
    tallies.update_settings(actor=world.county_assessor_a, cycle=cycle, version=1, min_group_size=3)
    with pytest.raises(StaleVersion):
        tallies.update_settings(
            actor=world.county_assessor_a, cycle=cycle, version=1, min_group_size=4
        )

    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.ARCHIVED)
    with pytest.raises(ValidationError, match="已归档，不能再修改"):
        tallies.update_settings(
            actor=world.county_assessor_a, cycle=cycle, version=2, min_group_size=4
        )
