"""REST API under /api/v1/: session and token auth, scoping, pagination, optimistic
locking with ETag / If-Match, OpenAPI schema and local Swagger UI."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from org import services
from org.models import OrgUnit

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture
def api():
    return APIClient()


def test_token_authentication_reaches_the_same_scope(world, api):
    token = Token.objects.create(user=world.town_assessor_a)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    me = api.get("/api/v1/users/me/").json()
    assert me["username"] == "town_a"
    staff = {s["staff_no"] for s in api.get("/api/v1/secretaries/").json()["results"]}
    assert staff == {"SA1", "SA2"}


def test_a_bad_token_is_refused(world, api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get("/api/v1/users/me/").status_code == 401


def test_lists_are_paginated(world, api):
    api.force_authenticate(world.county_assessor_a)
    body = api.get("/api/v1/org-units/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 7
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]


def test_list_filters_and_search(world, api):
    api.force_authenticate(world.county_assessor_a)
    towns = api.get("/api/v1/org-units/", {"kind": "town"}).json()["results"]
    assert {t["code"] for t in towns} == {"QA1", "QA2"}
    found = api.get("/api/v1/org-units/", {"search": "城东"}).json()["results"]
    assert [u["code"] for u in found] == ["QA101", "QA101-1"]


def test_admin_creates_a_unit_through_the_api_and_it_is_audited(world, api):
    api.force_authenticate(world.admin_a)
    response = api.post(
        "/api/v1/org-units/",
        {"code": "QA103", "name": "城南社区", "kind": "community", "parent": world.town_a.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    unit = OrgUnit.objects.get(code="QA103")
    assert unit.path == "/QA/QA1/QA103/"
    assert unit.history.get().history_user == world.admin_a


def test_api_validation_errors_are_chinese_and_name_the_field(world, api):
    api.force_authenticate(world.admin_a)
    response = api.post(
        "/api/v1/org-units/",
        {"code": "QA1", "name": "重复", "kind": "community", "parent": world.county_a.pk},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "已存在" in body["code"][0]
    assert "不能挂在" in body["parent"][0]


def test_non_admins_cannot_write(world, api):
    api.force_authenticate(world.county_assessor_a)
    response = api.post(
        "/api/v1/org-units/",
        {"code": "QA103", "name": "城南社区", "kind": "community", "parent": world.town_a.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not OrgUnit.objects.filter(code="QA103").exists()


def test_writes_need_if_match_and_refuse_a_stale_etag(world, api):
    api.force_authenticate(world.admin_a)
    url = f"/api/v1/org-units/{world.town_a.pk}/"
    etag = api.get(url)["ETag"]
    assert etag == '"1"'
    missing = api.patch(url, {"name": "无版本"}, format="json")
    assert missing.status_code == 428
    ok = api.patch(url, {"name": "城关街道"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and ok["ETag"] == '"2"'
    stale = api.patch(url, {"name": "过期修改"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert "已被他人修改" in stale.json()["detail"]
    assert OrgUnit.objects.get(pk=world.town_a.pk).name == "城关街道"


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"7", "1"', 200),  # a list holding the current ETag
        ('W/"7","1"', 200),
        ("*", 200),  # any current version
        ('"7", "8"', 412),
        ('W/"1"', 412),  # weak: never matches (strong comparison)
        ("1", 412),  # no entity tag
        (None, 428),
    ],
)
def test_if_match_passes_on_a_list_holding_the_current_etag_or_star_compared_strongly(
    world, api, if_match, status
):
    """RFC 9110 §13.1.1: If-Match is `*` or a list of entity tags, and matches when one
    of them is the record's current ETag by strong comparison."""
    api.force_authenticate(world.admin_a)
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}
    url = f"/api/v1/org-units/{world.town_a.pk}/"
    response = api.patch(url, {"name": "城关街道"}, format="json", **headers)
    assert response.status_code == status, response.json()
    name = OrgUnit.objects.get(pk=world.town_a.pk).name
    assert name == ("城关街道" if status == 200 else "城关镇")


def test_delete_needs_if_match(world, api):
    api.force_authenticate(world.admin_a)
    url = f"/api/v1/org-units/{world.grid_a1.pk}/"
    assert api.delete(url).status_code == 428
    assert api.delete(url, HTTP_IF_MATCH='"1"').status_code == 204
    assert not OrgUnit.objects.filter(pk=world.grid_a1.pk).exists()


def test_admin_grants_and_revokes_memberships_through_the_api(world, api):
    api.force_authenticate(world.admin_a)
    response = api.post(
        "/api/v1/memberships/",
        {"user": world.outsider_b.pk, "role": "observer", "org_unit": world.county_a.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    url = f"/api/v1/memberships/{response.json()['id']}/"
    assert api.delete(url, HTTP_IF_MATCH='"1"').status_code == 204


def test_the_openapi_schema_and_swagger_ui_are_served_locally(world, login):
    client = login(world.county_assessor_a)
    schema = client.get(reverse("api-schema"), {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/org-units/" in paths and "/api/v1/secretaries/" in paths
    docs = client.get(reverse("api-docs"))
    text = docs.content.decode()
    assert docs.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in text
    assert "https://" not in text and "http://" not in text
    csp = dict(part.strip().split(" ", 1) for part in docs["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self' 'unsafe-inline'"
    script = client.get(reverse("api-docs"), {"script": ""})
    assert script.status_code == 200
    assert b"SwaggerUIBundle" in script.content


def test_an_out_of_scope_object_answers_a_chinese_404_that_names_nothing(world, api):
    api.force_authenticate(world.town_assessor_a)
    response = api.get(f"/api/v1/org-units/{world.community_b1.pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "不存在，或不在您的管理范围内。"}


def test_unknown_orderings_are_ignored_not_errors(world, api):
    api.force_authenticate(world.admin_a)
    for url in ("/api/v1/memberships/", "/api/v1/secretaries/", "/api/v1/users/"):
        assert api.get(url, {"ordering": "get_role_display"}).status_code == 200
    staff = api.get("/api/v1/secretaries/", {"ordering": "-staff_no"}).json()["results"]
    assert [s["staff_no"] for s in staff] == ["SB1", "SA2", "SA1"]


def test_a_persons_memberships_are_listed_only_within_scope(world, api):
    services.grant_membership(
        actor=None, user=world.outsider_b, role="observer", org_unit=world.county_b
    )
    api.force_authenticate(world.county_assessor_a)
    person = api.get(f"/api/v1/users/{world.outsider_b.pk}/").json()
    assert [m["org_unit"] for m in person["memberships"]] == [world.town_b.pk]


def test_non_field_service_errors_come_back_as_an_object(world, api):
    api.force_authenticate(world.admin_a)
    response = api.post(
        "/api/v1/memberships/",
        {"user": world.town_assessor_a.pk, "role": "town_assessor", "org_unit": world.town_a.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "已有这个角色" in response.json()["non_field_errors"][0]


def test_the_openapi_schema_is_valid_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert "/api/v1/cycles/{id}/transition/" in (tmp_path / "schema.yml").read_text()


def test_the_schema_of_a_result_says_scores_may_be_withheld(world, login):
    """SPEC §3.4 Validity: a result's scores are null with `withheld` true for a reader
    outside the county's staff; the schema states both, so clients expect them."""
    client = login(world.county_assessor_a)
    schemas = client.get(reverse("api-schema"), {"format": "json"}).json()["components"]["schemas"]
    for name in ("Result", "ResultDetail"):
        properties = schemas[name]["properties"]
        assert properties["withheld"]["type"] == "boolean"
        assert "样本不足" in properties["withheld"]["description"]
        for field in ("composite", "final", "rank", "grade", "pay"):
            assert properties[field].get("nullable") is True, (name, field)
