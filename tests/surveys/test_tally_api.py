"""REST API of paper counts, survey results and survey settings (issue 6; DESIGN §4:
ETag / If-Match, missing → 428, stale → 412; out of scope → 404)."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from assessment.models import Cycle, CycleStatus
from surveys.models import Ballot, Choice, PaperTally
from surveys.tallies import services as tallies
from tests.factories import fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

TALLIES = "/api/v1/paper-tallies/"
RESULTS = "/api/v1/survey-results/"
COUNTS = {"satisfied": 6, "basic": 2, "unsatisfied": 0, "unknown": 1}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def as_(api):
    def _as(user):
        api.force_authenticate(user)
        return api

    return _as


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def residents(cycle):
    return cycle.frozen_template.survey_categories.get(name="居民代表")


def body(world, cycle, category, **counts):
    return {
        "cycle": cycle.pk,
        "community": world.community_a1.pk,
        "category": category.pk,
        **COUNTS,
        **counts,
    }


# --------------------------------------------------------------------- paper counts


def test_a_keyer_creates_and_corrects_their_keying_with_if_match(world, cycle, residents, as_):
    api = as_(world.county_assessor_a)

    created = api.post(TALLIES, body(world, cycle, residents), format="json")
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"1"'
    assert created.json()["keyed_by"] == str(world.county_assessor_a)
    url = f"{TALLIES}{created.json()['id']}/"

    assert api.patch(url, {"satisfied": 7}, format="json").status_code == 428
    assert api.patch(url, {"satisfied": 7}, format="json", HTTP_IF_MATCH='"9"').status_code == 412
    corrected = api.patch(url, {"satisfied": 7}, format="json", HTTP_IF_MATCH='"1"')

    assert corrected.status_code == 200
    assert corrected["ETag"] == '"2"'
    assert (corrected.json()["satisfied"], corrected.json()["basic"]) == (7, 2)


def test_keying_twice_is_refused_with_a_message(world, cycle, residents, as_):
    api = as_(world.county_assessor_a)
    api.post(TALLIES, body(world, cycle, residents), format="json")

    again = api.post(TALLIES, body(world, cycle, residents), format="json")

    assert again.status_code == 400
    assert "请在本人的原录入上修改" in again.json()["non_field_errors"][0]


def test_bad_counts_are_refused_by_field(world, cycle, residents, as_):
    response = as_(world.county_assessor_a).post(
        TALLIES, body(world, cycle, residents, unsatisfied=-3), format="json"
    )

    assert response.status_code == 400
    assert "unsatisfied" in response.json()
    assert not PaperTally.objects.exists()


def test_keyers_read_only_their_own_keyings_and_observers_read_all(world, cycle, residents, as_):
    """Blind double entry: the second keyer cannot read the first one's numbers."""
    for person in (world.county_assessor_a, world.town_assessor_a):
        tallies.key_tally(
            actor=person,
            cycle=cycle,
            community=world.community_a1,
            category=residents,
            counts=COUNTS,
        )

    def keyers(user):
        return sorted(row["keyed_by"] for row in as_(user).get(TALLIES).json()["results"])

    assert keyers(world.town_assessor_a) == [str(world.town_assessor_a)]
    assert len(keyers(world.observer_a)) == 2
    assert keyers(world.secretary_a1) == []
    assert keyers(world.outsider_b) == []


def test_another_persons_keying_is_not_found(world, cycle, residents, as_):
    theirs = tallies.key_tally(
        actor=world.county_assessor_a,
        cycle=cycle,
        community=world.community_a1,
        category=residents,
        counts=COUNTS,
    )

    response = as_(world.town_assessor_a).patch(
        f"{TALLIES}{theirs.pk}/", {"satisfied": 1}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 404
    assert PaperTally.objects.get(pk=theirs.pk).satisfied == 6


@pytest.mark.parametrize("persona", ["observer_a", "secretary_a1"])
def test_observers_and_secretaries_do_not_key(world, cycle, residents, as_, persona):
    response = as_(world.persona(persona)).post(
        TALLIES, body(world, cycle, residents), format="json"
    )

    assert response.status_code == 403
    assert not PaperTally.objects.exists()


# -------------------------------------------------------------------------- results


@pytest.fixture
def answered(world, cycle, residents):
    Ballot.objects.bulk_create(
        Ballot(
            cycle=cycle,
            community=world.community_a1,
            category=residents,
            choice=Choice.SATISFIED,
            comment="服务好" if i == 0 else "",
            cast_on=date(2026, 6, 1),
        )
        for i in range(5)
    )
    return cycle


def test_results_respect_k_and_scope(world, answered, as_):
    api = as_(world.town_assessor_a)
    assert api.get(RESULTS).status_code == 400  # which cycle?
    assert api.get(RESULTS, {"cycle": answered.pk}).status_code == 400  # survey running

    Cycle.objects.filter(pk=answered.pk).update(status=CycleStatus.SCORING)
    rows = api.get(RESULTS, {"cycle": answered.pk}).json()["results"]

    assert [r["community"] for r in rows] == ["QA101", "QA102"]
    a1 = rows[0]
    assert (a1["rate"], a1["counted"], a1["shown"]) == ("100.00", 5, True)
    shown, hidden, _ = a1["categories"]
    assert (shown["name"], shown["satisfied"], shown["comments"]) == ("居民代表", 5, ["服务好"])
    assert (hidden["shown"], hidden["counted"], hidden["rate"]) == (False, None, None)
    assert rows[1]["no_ballots"] and rows[1]["rate"] == "0.00"


def test_a_secretary_reads_their_own_result_after_publication_without_comments(
    world, answered, as_
):
    api = as_(world.secretary_a1)
    assert api.get(RESULTS, {"cycle": answered.pk}).status_code == 404

    Cycle.objects.filter(pk=answered.pk).update(status=CycleStatus.PUBLISHED)
    rows = api.get(RESULTS, {"cycle": answered.pk}).json()["results"]

    assert [r["community"] for r in rows] == ["QA101"]
    assert rows[0]["categories"][0]["comments"] == []


@pytest.mark.parametrize("cycle_id", ["", "x", "²", "1.5", "-1"])
def test_results_without_a_whole_number_for_the_cycle_ask_which_cycle(world, as_, cycle_id):
    """A superscript digit is a digit but no number: asked again, as for any other text."""
    answer = as_(world.county_assessor_a).get(RESULTS, {"cycle": cycle_id})

    assert answer.status_code == 400
    assert answer.json() == {"cycle": ["请用 cycle 参数指定考核周期。"]}


def test_results_of_another_county_are_not_found(world, as_):
    other = open_seed_cycle(world.county_b)

    assert as_(world.county_assessor_a).get(RESULTS, {"cycle": other.pk}).status_code == 404


# ------------------------------------------------------------------------- settings


def test_settings_are_read_and_changed_by_cycle_with_if_match(world, cycle, residents, as_):
    api = as_(world.county_assessor_a)
    url = f"/api/v1/survey-settings/{cycle.pk}/"

    read = api.get(url)
    assert read.status_code == 200 and read["ETag"] == '"1"'
    assert read.json()["min_group_size"] == 5
    assert read.json()["choice_values"] == {
        "satisfied": "100.00",
        "basic": "60.00",
        "unsatisfied": "0.00",
    }
    change = {"min_group_size": "3", "categories": [{"id": residents.pk, "weight": "70"}]}
    assert api.patch(url, change, format="json").status_code == 428
    assert api.patch(url, change, format="json", HTTP_IF_MATCH='"7"').status_code == 412

    saved = api.patch(url, change, format="json", HTTP_IF_MATCH='"1"')

    assert saved.status_code == 200 and saved["ETag"] == '"2"'
    assert saved.json()["min_group_size"] == 3
    assert {"id": residents.pk, "name": "居民代表", "weight": "70.00"} in saved.json()["categories"]


def test_settings_refuse_bad_weights_with_a_message(world, cycle, residents, as_):
    response = as_(world.county_assessor_a).patch(
        f"/api/v1/survey-settings/{cycle.pk}/",
        {"categories": [{"id": residents.pk, "weight": "-5"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    assert response.status_code == 400
    assert response.json() == {"weights": ["类别“居民代表”的权重不能为负数。"]}


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [("town_assessor_a", 200, 403), ("secretary_a1", 404, 404), ("outsider_b", 200, 403)],
)
def test_who_reads_and_changes_settings(world, cycle, as_, persona, read, write):
    api = as_(world.persona(persona))
    url = f"/api/v1/survey-settings/{cycle.pk}/"

    assert api.get(url).status_code == read
    response = api.patch(url, {"min_group_size": "2"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == write
    assert tallies.settings_of(cycle).min_group_size == 5
