"""API of score entries (If-Match), results and breakdowns (read), result versions and
appeals — scoped like the pages (issue 5: API)."""

import pytest
from rest_framework.test import APIClient

from assessment import services as cycles
from scoring.models import (
    Appeal,
    AppealStatus,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import compute_cycle
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def leaf(cycle):
    return cycle.frozen_template.nodes.get(name="违建管控")


def test_a_secretary_enters_and_changes_own_self_score_with_if_match(world, cycle):
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    client = api(world.secretary_a1)
    body = {"participant": me.pk, "leaf": leaf(cycle).pk, "source": "self", "value": "2.5"}
    created = client.post("/api/v1/score-entries/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"' and created.json()["value"] == "2.50"
    # The first self value starts the 自我检评 as a draft, as on the page.
    assert SelfEvaluation.objects.get(participant=me).status == SelfEvaluationStatus.DRAFT
    url = f"/api/v1/score-entries/{created.json()['id']}/"
    assert client.patch(url, {"value": "3"}, format="json").status_code == 428
    assert client.patch(url, {"value": "3"}, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    changed = client.patch(url, {"value": "3"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["version"] == 2
    # Posting over one's own entry is a change: If-Match needed there too.
    assert client.post("/api/v1/score-entries/", body, format="json").status_code == 428
    refused = client.patch(url, {"value": "30"}, format="json", HTTP_IF_MATCH='"2"')
    assert refused.status_code == 400
    assert "应在 0 到 3 之间" in str(refused.json())


def test_entries_are_scoped_and_only_ones_own_can_be_changed(world, cycle):
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    other = cycle.participants.get(secretary=world.secretaries["b1"])
    secretary = api(world.secretary_a1)
    body = {"participant": other.pk, "leaf": leaf(cycle).pk, "source": "self", "value": "1"}
    assert secretary.post("/api/v1/score-entries/", body, format="json").status_code == 400
    county = api(world.county_assessor_a)
    made = county.post(
        "/api/v1/score-entries/",
        {"participant": me.pk, "leaf": leaf(cycle).pk, "source": "target", "value": "2"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    url = f"/api/v1/score-entries/{made.json()['id']}/"
    # The secretary does not see the assessor's entry; the town assessor sees it but
    # may not change it.
    assert secretary.get(url).status_code == 404
    town = api(world.town_assessor_a)
    assert town.get(url).status_code == 200
    assert town.patch(url, {"value": "1"}, format="json", HTTP_IF_MATCH='"1"').status_code == 403
    assert api(world.outsider_b).get(url).status_code == 404
    # A 目标 value for an automatic leaf is refused with the rule's message.
    automatic = cycle.frozen_template.nodes.filter(method="deduction").first()
    refused = county.post(
        "/api/v1/score-entries/",
        {"participant": me.pk, "leaf": automatic.pk, "source": "target", "value": "1"},
        format="json",
    )
    assert refused.status_code == 400 and "由系统按数据计算" in str(refused.json())


def test_results_and_breakdowns_follow_visibility(world, cycle):
    cycle = complete_scoring(cycle, world.county_assessor_a)
    county = api(world.county_assessor_a)
    listed = county.get("/api/v1/results/", {"cycle": cycle.pk}).json()["results"]
    assert len(listed) == 3 and all(row["stale"] is False for row in listed)
    detail = county.get(f"/api/v1/results/{listed[0]['id']}/").json()
    assert (
        len(detail["leaves"]) == cycle.frozen_template.nodes.filter(children__isnull=True).count()
    )
    town = api(world.town_assessor_a).get("/api/v1/results/").json()["results"]
    assert {row["community"] for row in town} == {"城东社区", "城西社区"}
    secretary = api(world.secretary_a1)
    assert secretary.get("/api/v1/results/").json()["results"] == []
    for name in ("start_scoring", "start_review"):
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    mine = secretary.get("/api/v1/results/").json()["results"]
    assert [row["name"] for row in mine] == ["甲书记"]
    versions = county.get("/api/v1/result-versions/", {"cycle": cycle.pk}).json()["results"]
    assert versions[0]["n"] == 3 and versions[0]["is_current"]
    assert api(world.town_assessor_a).get("/api/v1/result-versions/").json()["results"] == []


def test_an_appeal_through_the_api(world, cycle):
    cycle = complete_scoring(cycle, world.county_assessor_a)
    for name in ("start_scoring", "start_review"):
        cycle = cycles.transition(actor=None, cycle=cycle, name=name, version=cycle.version)
    me = cycle.participants.get(secretary=world.secretaries["a1"])
    filed = api(world.secretary_a1).post(
        "/api/v1/appeals/", {"participant": me.pk, "reasons": "组织考评偏低"}, format="json"
    )
    assert filed.status_code == 201, filed.json()
    url = f"/api/v1/appeals/{filed.json()['id']}/"
    county = api(world.county_assessor_a)
    assert county.post(url + "decide/", {"action": "accept"}, format="json").status_code == 428
    accepted = county.post(
        url + "decide/", {"action": "accept"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == AppealStatus.REVIEWING
    entry = ScoreEntry.objects.get(participant=me, leaf=leaf(cycle), source=Source.ORG)
    changed = county.post(
        url + "correct/",
        {"entry": entry.pk, "entry_version": entry.version, "value": "3", "note": "核实台账"},
        format="json",
    )
    assert changed.status_code == 201, changed.json()
    assert (changed.json()["before"], changed.json()["after"]) == (str(entry.value), "3.00")
    decided = county.post(
        url + "decide/",
        {"action": "decide", "text": "调整一项"},
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert decided.status_code == 200 and decided.json()["changes"][0]["after"] == "3.00"
    assert Appeal.objects.get().status == AppealStatus.DECIDED
    assert api(world.outsider_b).get(url).status_code == 404
    compute_cycle(cycle.pk)
