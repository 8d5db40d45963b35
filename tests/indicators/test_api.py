"""Templates API: scoped, paginated, optimistic locking on every write."""

from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from indicators.models import IndicatorNode, IndicatorTemplate
from indicators.services import clone_template
from indicators.starter import SEED_TEMPLATE, install_starter_templates


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.county_assessor_a)
    return client


@pytest.fixture
def template(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


def test_build_a_template_through_the_api(world, api):
    made = api.post(
        "/api/v1/templates/", {"county": world.county_a.pk, "name": "接口模板"}, format="json"
    )
    assert made.status_code == 201, made.json()
    template_id = made.json()["id"]
    dim = api.post(
        "/api/v1/indicator-nodes/",
        {
            "template": template_id,
            "name": "工作成效",
            "points": "100",
            "range_min": "90",
            "range_max": "100",
        },
        format="json",
    ).json()
    leaf = api.post(
        "/api/v1/indicator-nodes/",
        {
            "template": template_id,
            "parent": dim["id"],
            "name": "化解矛盾",
            "points": "100",
            "method": "bands",
            "metric_key": "resolved",
            "bands": "0:0;10:50;20:100",
        },
        format="json",
    )
    assert leaf.status_code == 201, leaf.json()
    assert (leaf.json()["code"], leaf.json()["bands"]) == ("1.1", "0:0;10:50;20:100")
    problems = api.get(f"/api/v1/templates/{template_id}/check/").json()
    assert [p["message"] for p in problems] == ["指标 1.1“化解矛盾”：数据项“resolved”未定义。"]
    api.post(
        "/api/v1/metrics/",
        {"template": template_id, "key": "resolved", "name": "化解矛盾数", "source": "counted"},
        format="json",
    )
    assert api.get(f"/api/v1/templates/{template_id}/check/").json() == []


def test_node_writes_need_if_match_and_refuse_stale_versions(api, template):
    node = template.nodes.get(name="三会一课")
    url = f"/api/v1/indicator-nodes/{node.pk}/"
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"points": "5"}, format="json").status_code == 428
    ok = api.patch(url, {"points": "5"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    assert api.patch(url, {"points": "4"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert IndicatorNode.objects.get(pk=node.pk).points == D(5)


def test_bad_bands_are_refused_with_the_expected_format(api, template):
    node = template.nodes.get(method="bands")
    response = api.patch(
        f"/api/v1/indicator-nodes/{node.pk}/", {"bands": "60-2"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "0:0;60:2;80:4" in response.json()["bands"][0]


def test_anchors_are_replaced_as_a_list(api, template):
    node = template.nodes.get(name="主题党日")
    response = api.patch(
        f"/api/v1/indicator-nodes/{node.pk}/",
        {"bars_levels": [{"label": "好", "value": "4"}, {"label": "差", "value": "0"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert [b["label"] for b in response.json()["bars_levels"]] == ["好", "差"]


def test_an_edit_of_a_released_template_lands_in_its_next_edition(api, template):
    from indicators.services import freeze_template

    freeze_template(actor=None, template=template)
    node = template.nodes.get(name="三会一课")
    response = api.patch(
        f"/api/v1/indicator-nodes/{node.pk}/",
        {"name": "三会一课（新）"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    edition = IndicatorTemplate.objects.get(pk=response.json()["template"])
    assert edition.edition == 2 and edition.lineage == template.lineage
    assert IndicatorNode.objects.get(pk=node.pk).name == "三会一课"


@pytest.mark.parametrize(
    "path, identity, change",
    [
        ("survey-categories", {"name": "居民代表"}, {"weight": "0.5"}),
        ("metrics", {"key": "service_coverage"}, {"name": "服务覆盖"}),
    ],
)
def test_a_change_through_a_released_edition_whose_counterpart_changed_since_is_stale(
    api, template, path, identity, change
):
    """An edit of a released template lands on its counterpart in the next edition, found
    by name (a category) or key (a metric). Once that counterpart was renamed there, a
    change or deletion made through the released edition's record — a client still
    holding its id — is refused as stale (412): nothing to apply it to, and not a 500."""
    from indicators.services import freeze_template

    freeze_template(actor=None, template=template)
    parts = template.survey_categories if path == "survey-categories" else template.metrics
    url = f"/api/v1/{path}/{parts.get(**identity).pk}/"
    (field,) = identity
    renamed = api.patch(url, {field: "renamed"}, format="json", HTTP_IF_MATCH='"1"')
    assert renamed.status_code == 200, renamed.json()
    assert renamed.json()["template"] != template.pk  # the next edition's counterpart

    again = api.patch(url, change, format="json", HTTP_IF_MATCH='"1"')
    assert again.status_code == 412
    assert api.delete(url, HTTP_IF_MATCH='"1"').status_code == 412
    assert parts.get(**identity).version == 1  # the released edition is never touched


def test_event_types_are_checked_against_the_tree(api, template):
    response = api.post(
        "/api/v1/event-types/",
        {"template": template.pk, "code": "X", "name": "无处计入", "points": "-2"},
        format="json",
    )
    assert response.status_code == 201  # saved; the template's check reports it
    problems = api.get(f"/api/v1/templates/{template.pk}/check/").json()
    assert any(p["subject"] == "X" and "扣分事项必须计入" in p["message"] for p in problems)


@pytest.mark.parametrize("pk", ["null", "1.5", "0"])
def test_the_check_of_a_template_that_is_not_there_is_not_found(api, pk):
    response = api.get(f"/api/v1/templates/{pk}/check/")
    assert response.status_code == 404
    assert response.json() == {"detail": "不存在，或不在您的管理范围内。"}


@pytest.mark.parametrize("persona", ["town_assessor_a", "observer_a", "secretary_a1"])
def test_other_roles_read_but_do_not_write(world, template, persona):
    client = APIClient()
    client.force_authenticate(world.persona(persona))
    assert client.get(f"/api/v1/templates/{template.pk}/").status_code == 200
    node = template.nodes.first()
    response = client.patch(
        f"/api/v1/indicator-nodes/{node.pk}/", {"name": "改"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403


def test_a_parent_from_another_template_is_refused_not_a_crash(world, api, template):
    copy = clone_template(actor=None, template=template, name="副本")
    node = template.nodes.get(code="1.1")
    response = api.patch(
        f"/api/v1/indicator-nodes/{node.pk}/",
        {"parent": copy.nodes.get(code="2").pk},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert (
        response.status_code == 400 and "上级指标不在这个指标体系中" in response.json()["parent"][0]
    )


def test_id_filters_do_not_tell_whether_a_record_exists(api, template):
    for url in ("/api/v1/indicator-nodes/", "/api/v1/event-types/", "/api/v1/metrics/"):
        assert api.get(url, {"template": 987654}).json()["count"] == 0
    assert api.get("/api/v1/cycles/", {"county": 987654}).status_code == 200
    assert api.get("/api/v1/participants/", {"cycle": 987654}).status_code == 200


def test_metric_keys_are_checked_in_the_api_too(api, template):
    response = api.post(
        "/api/v1/metrics/",
        {"template": template.pk, "key": "持证率", "name": "持证率"},
        format="json",
    )
    assert response.status_code == 400 and "小写字母" in response.json()["key"][0]
