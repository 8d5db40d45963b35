"""Cycles API: create, settings with If-Match, transitions with their guards, enrolment
and participants."""

import pytest
from rest_framework.test import APIClient

from assessment.models import Cycle, CycleStatus
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from tests.factories import complete_scoring


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.county_assessor_a)
    return client


@pytest.fixture
def cycle_id(world, api):
    made = install_starter_templates(actor=None, county=world.county_a)
    template = next(t for t in made if t.name == SEED_TEMPLATE["name"])
    response = api.post(
        "/api/v1/cycles/",
        {
            "county": world.county_a.pk,
            "name": "2026年度考核",
            "year": 2026,
            "template": template.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_settings_change_with_if_match_and_quarters_together(api, cycle_id):
    url = f"/api/v1/cycles/{cycle_id}/"
    assert api.patch(url, {"bonus_cap": "15"}, format="json").status_code == 428
    bad = api.patch(url, {"weight_self": "20"}, format="json", HTTP_IF_MATCH='"1"')
    assert bad.status_code == 400 and "应为 100" in bad.json()["weight_org"][0]
    quarters = [
        {"number": 1, "starts_on": "2026-01-01", "ends_on": "2026-03-31"},
        {"number": 2, "starts_on": "2026-04-01", "ends_on": "2026-06-30"},
        {"number": 3, "starts_on": "2026-07-01", "ends_on": "2026-09-30"},
        {"number": 4, "starts_on": "2026-10-01", "ends_on": "2026-12-25"},
    ]
    ok = api.patch(
        url, {"bonus_cap": "15", "quarters": quarters}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["bonus_cap"] == "15.00" and ok.json()["quarters"][3]["ends_on"] == "2026-12-25"
    assert (
        api.patch(url, {"bonus_cap": "10"}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    )


def test_transitions_report_their_blockers_and_are_recorded(api, cycle_id):
    url = f"/api/v1/cycles/{cycle_id}/"
    assert "还没有参评书记，请先登记参评名单。" in api.get(url + "blockers/").json()["open"]
    refused = api.post(url + "transition/", {"name": "open"}, format="json", HTTP_IF_MATCH='"1"')
    assert refused.status_code == 400
    assert api.post(url + "enrol/").json() == {"added": 3}
    opened = api.post(
        url + "transition/", {"name": "open", "note": "开始"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert opened.status_code == 200, opened.json()
    assert opened.json()["status"] == CycleStatus.OPEN
    assert opened.json()["transitions"][0]["note"] == "开始"
    assert opened.json()["frozen_template"] is not None


def test_participants_grading_with_if_match(world, api, cycle_id):
    api.post(f"/api/v1/cycles/{cycle_id}/enrol/")
    participant = api.get("/api/v1/participants/", {"cycle": cycle_id}).json()["results"][0]
    url = f"/api/v1/participants/{participant['id']}/"
    no_reason = api.patch(url, {"is_graded": False}, format="json", HTTP_IF_MATCH='"1"')
    assert no_reason.status_code == 400
    ok = api.patch(
        url, {"is_graded": False, "not_graded_reason": "病休"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert ok.status_code == 200 and ok.json()["is_graded"] is False
    town = APIClient()
    town.force_authenticate(world.town_assessor_a)
    seen = {p["secretary_name"] for p in town.get("/api/v1/participants/").json()["results"]}
    assert seen == {"甲书记", "乙书记"}


def test_a_published_cycle_refuses_writes_through_the_api(world, api, cycle_id):
    url = f"/api/v1/cycles/{cycle_id}/"
    api.post(url + "enrol/")
    for version, name in enumerate(["open", "start_scoring", "start_review", "publish"], start=1):
        if name == "start_review":
            complete_scoring(Cycle.objects.get(pk=cycle_id), world.county_assessor_a)
        response = api.post(
            url + "transition/", {"name": name}, format="json", HTTP_IF_MATCH=f'"{version}"'
        )
        assert response.status_code == 200, response.json()
    refused = api.patch(url, {"name": "改名"}, format="json", HTTP_IF_MATCH='"5"')
    assert refused.status_code == 400
    assert "已发布，不能再修改" in refused.json()["non_field_errors"][0]
    assert Cycle.objects.get(pk=cycle_id).name == "2026年度考核"
