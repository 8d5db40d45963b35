"""REST API of the records area (issue 6): /api/v1/metric-values/, /api/v1/diary-entries/,
/api/v1/grid-events/ (+ transition/). Scope as everywhere (out of scope → 404), writes by
role (observers → 403), If-Match on changes (missing → 428, stale → 412)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evidence.models import DiaryEntry, GridEvent, GridEventStatus, MetricValue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

TODAY = timezone.localdate()


@pytest.fixture
def api(world):
    def as_user(who):
        client = APIClient()
        client.force_authenticate(world.persona(who) if isinstance(who, str) else who)
        return client

    return as_user


# ----------------------------------------------------------------------- metric values


def create_metric(api, world, cycle, who="town_assessor_a", value="88.5"):
    return api(who).post(
        "/api/v1/metric-values/",
        {
            "cycle": cycle.pk,
            "community": world.community_a1.pk,
            "key": "service_coverage",
            "value": value,
        },
        format="json",
    )


def test_metric_values_are_created_changed_with_if_match_and_deleted(api, world, cycle):
    created = create_metric(api, world, cycle)
    assert created.status_code == 201, created.json()
    assert created.json()["value"] == "88.5" and created["ETag"] == '"1"'
    url = f"/api/v1/metric-values/{created.json()['id']}/"
    client = api("town_assessor_a")
    assert client.patch(url, {"value": "90"}, format="json").status_code == 428
    changed = client.patch(url, {"value": "90"}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.json()["value"] == "90"
    stale = client.patch(url, {"value": "91"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert client.delete(url).status_code == 428
    assert client.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not MetricValue.objects.exists()


def test_a_second_create_of_the_same_value_says_to_patch(api, world, cycle):
    create_metric(api, world, cycle)
    again = create_metric(api, world, cycle)
    assert again.status_code == 400 and "PATCH" in again.json()["key"][0]


def test_metric_value_errors_are_field_messages_in_chinese(api, world, cycle):
    refused = create_metric(api, world, cycle, value="-1")
    assert refused.status_code == 400
    assert refused.json() == {"value": ["城东社区的“服务覆盖率”不能为负数。"]}


def test_metric_values_by_role_and_scope(api, world, cycle):
    assert create_metric(api, world, cycle, who="observer_a").status_code == 403
    assert create_metric(api, world, cycle, who="secretary_a1").status_code == 403
    assert create_metric(api, world, cycle, who="outsider_b").status_code == 400
    made = create_metric(api, world, cycle).json()
    url = f"/api/v1/metric-values/{made['id']}/"
    assert api("outsider_b").get(url).status_code == 404
    assert api("outsider_b").patch(url, {"value": "1"}, HTTP_IF_MATCH='"1"').status_code == 404
    assert api("observer_a").get(url).status_code == 200
    listed = api("county_assessor_a").get(
        "/api/v1/metric-values/", {"cycle": cycle.pk, "community_code": "QA101"}
    )
    assert [row["key"] for row in listed.json()["results"]] == ["service_coverage"]


def test_a_paste_import_through_the_api_is_all_or_nothing(api, world, cycle):
    client = api("county_assessor_a")
    url = "/api/v1/metric-values/import/"
    bad = client.post(url, {"cycle": cycle.pk, "text": "QA101\tservice_coverage\t9\nQX\ta\t1"})
    assert bad.status_code == 400
    assert bad.json()["non_field_errors"] == ["第 2 行：社区编码“QX”不是本县/区的社区。"]
    assert not MetricValue.objects.exists()
    ok = client.post(url, {"cycle": cycle.pk, "text": "QA101\tservice_coverage\t9"})
    assert ok.json() == {"imported": 1}


# ----------------------------------------------------------------------- 民情日记


def create_diary(api, world, who="secretary_a1"):
    return api(who).post(
        "/api/v1/diary-entries/",
        {
            "community": world.community_a1.pk,
            "recorded_on": f"{TODAY:%Y-%m-%d}",
            "category": "dispute",
            "content": "噪音扰民",
        },
        format="json",
    )


def test_a_secretary_writes_and_edits_the_diary_through_the_api(api, world):
    created = create_diary(api, world)
    assert created.status_code == 201, created.json()
    url = f"/api/v1/diary-entries/{created.json()['id']}/"
    client = api("secretary_a1")
    assert client.patch(url, {"resolved": True}, format="json").status_code == 428
    done = client.patch(url, {"resolved": True}, format="json", HTTP_IF_MATCH='"1"')
    assert done.status_code == 200 and done.json()["resolved_on"] == f"{TODAY:%Y-%m-%d}"
    assert client.patch(url, {"resolved": False}, HTTP_IF_MATCH='"1"').status_code == 412


def test_the_diary_api_by_role_and_scope(api, world):
    assert create_diary(api, world, who="observer_a").status_code == 403
    assert create_diary(api, world, who="town_assessor_a").status_code == 403
    assert create_diary(api, world, who=world.secretaries["a2"].user).status_code == 400
    entry = create_diary(api, world).json()
    url = f"/api/v1/diary-entries/{entry['id']}/"
    assert api(world.secretaries["a2"].user).get(url).status_code == 404
    assert (
        api("town_assessor_a").patch(url, {"content": "x"}, HTTP_IF_MATCH='"1"').status_code == 403
    )
    listed = api("town_assessor_a").get(
        "/api/v1/diary-entries/", {"month": f"{TODAY:%Y-%m}", "resolved": "false"}
    )
    assert listed.json()["count"] == 1
    assert DiaryEntry.objects.get().content == "噪音扰民"


# ----------------------------------------------------------------------- 网格事件


def create_event(api, world, who="secretary_a1", **extra):
    return api(who).post(
        "/api/v1/grid-events/",
        {
            "community": world.community_a1.pk,
            "grid": world.grid_a1.pk,
            "reported_on": f"{TODAY - timedelta(days=2):%Y-%m-%d}",
            "category": "safety",
            "description": "路灯损坏",
            **extra,
        },
        format="json",
    )


def test_a_grid_event_is_reported_handled_resolved_and_reopened_through_the_api(api, world):
    created = create_event(api, world)
    assert created.status_code == 201, created.json()
    url = f"/api/v1/grid-events/{created.json()['id']}/transition/"
    secretary, assessor = api("secretary_a1"), api("town_assessor_a")
    assert secretary.post(url, {"action": "handle"}).status_code == 428
    handled = secretary.post(url, {"action": "handle"}, HTTP_IF_MATCH='"1"')
    assert handled.json()["status"] == "handling" and handled["ETag"] == '"2"'
    assert secretary.post(url, {"action": "resolve"}, HTTP_IF_MATCH='"1"').status_code == 412
    resolved = secretary.post(url, {"action": "resolve"}, HTTP_IF_MATCH='"2"')
    assert resolved.json()["resolved_on"] == f"{TODAY:%Y-%m-%d}"
    assert (
        secretary.post(url, {"action": "reopen", "note": "x"}, HTTP_IF_MATCH='"3"').status_code
        == 403
    )
    no_note = assessor.post(url, {"action": "reopen"}, HTTP_IF_MATCH='"3"')
    assert no_note.status_code == 400 and no_note.json() == {"note": ["重新打开须写明原因。"]}
    reopened = assessor.post(url, {"action": "reopen", "note": "复查未修复"}, HTTP_IF_MATCH='"3"')
    assert reopened.json()["status"] == "handling" and reopened.json()["resolved_on"] is None
    wrong = assessor.post(url, {"action": "reopen", "note": "再开"}, HTTP_IF_MATCH='"4"')
    assert wrong.status_code == 400


def test_the_grid_event_api_by_role_and_scope(api, world):
    assert create_event(api, world, who="observer_a").status_code == 403
    assert create_event(api, world, who="outsider_b").status_code == 400
    event = create_event(api, world).json()
    url = f"/api/v1/grid-events/{event['id']}/"
    move = url + "transition/"
    assert api("outsider_b").get(url).status_code == 404
    assert (
        api(world.secretaries["b1"].user)
        .post(move, {"action": "handle"}, HTTP_IF_MATCH='"1"')
        .status_code
        == 404
    )
    assert (
        api("observer_a").post(move, {"action": "handle"}, HTTP_IF_MATCH='"1"').status_code == 403
    )
    assert api("observer_a").get(url).status_code == 200
    listed = api("county_assessor_a").get("/api/v1/grid-events/", {"status": "reported"})
    assert listed.json()["count"] == 1
    assert GridEvent.objects.get().status == GridEventStatus.REPORTED


def test_a_grid_of_another_community_is_refused(api, world):
    from tests.factories import OrgUnitFactory

    other = OrgUnitFactory(
        code="QA102-1", name="城西一网格", kind="grid", parent=world.community_a2
    )
    refused = create_event(api, world, who="town_assessor_a", grid=other.pk)
    assert refused.status_code == 400
    assert refused.json() == {"grid": ["城西一网格不是城东社区的网格。"]}
