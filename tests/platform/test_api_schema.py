"""The OpenAPI schema (/api/schema/) describes what the API answers: real answers of the
endpoints, errors included, validate against the response the schema documents for
their status — a client generated from the schema reads every answer."""

import json
from datetime import date
from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from evidence.models import KeyTask, RectificationItem, RectificationSource
from tests.factories import complete_scoring, open_seed_cycle
from tests.platform.test_scope_matrix import add_foreign_cycles

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")

SCHEMA_URI = "urn:api-schema"
# Reads whose ids are not those of their own list.
COLLECTION_OF = {"/api/v1/survey-settings/{id}/": "/api/v1/cycles/"}


def json_schema(node):
    """An OpenAPI 3.0 schema as JSON Schema: `nullable` becomes a null alternative."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) is True:
        return {"anyOf": [node, {"type": "null"}]}
    return node


class Contract:
    """The schema the API serves, and checks of real answers against it."""

    def __init__(self):
        generated = SchemaGenerator().get_schema(request=None, public=True)
        self.schema = json.loads(OpenApiJsonRenderer().render(generated))
        resource = Resource(contents=json_schema(self.schema), specification=DRAFT202012)
        self.registry = Registry().with_resource(SCHEMA_URI, resource)

    def operation(self, method, path):
        return self.schema["paths"][path][method]

    def check(self, method, path, response):
        """Fails unless the schema documents the answer's status, and its body as it is."""
        answers = self.operation(method, path)["responses"]
        status = str(response.status_code)
        where = f"{method.upper()} {path} → {status}"
        assert status in answers, f"{where}; the schema documents {sorted(answers)}"
        if "content" not in answers[status]:
            assert not response.content, f"{where}: a body, none documented"
            return
        pointer = "/".join(
            ["", "paths", path.replace("~", "~0").replace("/", "~1"), method, "responses"]
            + [status, "content", "application~1json", "schema"]
        )
        validator = Draft202012Validator(
            {"$ref": f"{SCHEMA_URI}#{quote(pointer)}"},
            registry=self.registry,
            format_checker=FormatChecker(),
        )
        errors = [
            f"{'/'.join(map(str, error.absolute_path)) or 'body'}: {error.message}"
            for error in validator.iter_errors(response.json())
        ]
        assert not errors, f"{where}: {errors[:5]}"

    def reads(self):
        return [path for path, operations in self.schema["paths"].items() if "get" in operations]


@pytest.fixture(scope="module")
def contract():
    return Contract()


@pytest.fixture(scope="module")
def records(shared_world):
    """The scope walk's records of every kind (counties QA and QB), county QB's cycle
    opened by a command (its moves have no actor) and scored, with computed results,
    and a rectification item carried over from an earlier year."""
    world = shared_world
    add_foreign_cycles(world)
    scored = complete_scoring(open_seed_cycle(world.county_b), world.split_person)
    item = world.foreign_evidence["admin_a"][RectificationItem]
    carried = RectificationItem.objects.create(
        cycle=item.cycle,
        community=item.community,
        participant=item.participant,
        source=RectificationSource.CARRIED,
        carried_from=item,
        problem="上期未完成整改",
        owner="外部",
        deadline=date(2026, 12, 31),
    )
    return {"world": world, "scored": scored, "carried": carried}


def first_ids(client, path, n=3):
    """Ids of the first records of the list a read of one record (`{id}`) belongs to."""
    answer = client.get(COLLECTION_OF.get(path, path[: path.index("{id}")]))
    if answer.status_code != 200:
        return []
    return [row["id"] for row in answer.json()["results"][:n]]


@pytest.mark.parametrize("persona", ["split_person", "county_assessor_a"])
def test_every_read_answers_as_the_schema_documents(db, records, contract, client, persona):
    """Every list (its first page) and the first records of each, every read of one
    record (`check/`, `blockers/` included) and a 404 for an id no record has. The
    split person administers county QB (the scored cycle), the county assessor county
    QA."""
    client.force_login(records["world"].persona(persona))
    checked = 0
    for path in contract.reads():
        if "{token}" in path:
            continue  # the public ballot: tests/surveys/test_ballot_api.py
        if "{id}" not in path:
            parameters = contract.operation("get", path).get("parameters", [])
            required = {p["name"] for p in parameters if p["in"] == "query" and p.get("required")}
            response = client.get(path, dict.fromkeys(required, records["scored"].pk))
            contract.check("get", path, response)
            checked += 1
            continue
        for pk in [*first_ids(client, path), 0]:
            contract.check("get", path, client.get(path.replace("{id}", str(pk))))
            checked += 1
    assert checked > 80


def test_a_move_made_by_a_command_has_the_null_actor_the_schema_allows(
    db, records, contract, client
):
    client.force_login(records["world"].split_person)
    response = client.get(f"/api/v1/cycles/{records['scored'].pk}/")
    assert [t["actor"] for t in response.json()["transitions"]] == [None]
    contract.check("get", "/api/v1/cycles/{id}/", response)


def test_a_carried_over_rectification_item_has_a_source_the_schema_lists(
    db, records, contract, client
):
    client.force_login(records["world"].split_person)
    response = client.get(f"/api/v1/rectification-items/{records['carried'].pk}/")
    assert response.json()["source"] == "carried"
    contract.check("get", "/api/v1/rectification-items/{id}/", response)


def test_a_templates_check_answers_the_plain_list_the_schema_documents(
    db, records, contract, client
):
    client.force_login(records["world"].split_person)
    template = records["scored"].frozen_template
    response = client.get(f"/api/v1/templates/{template.pk}/check/")
    assert isinstance(response.json(), list)
    contract.check("get", "/api/v1/templates/{id}/check/", response)


def test_an_account_without_email_matches_the_documented_user(db, records, contract, client):
    client.force_login(records["world"].secretary_a1)
    response = client.get("/api/v1/users/me/")
    assert response.json()["email"] == ""
    contract.check("get", "/api/v1/users/me/", response)


def test_clone_answers_the_201_the_schema_documents(db, records, contract, client):
    client.force_login(records["world"].split_person)
    template = records["scored"].template
    response = client.post(f"/api/v1/templates/{template.pk}/clone/")
    assert response.status_code == 201
    contract.check("post", "/api/v1/templates/{id}/clone/", response)


def test_error_answers_are_documented_with_their_bodies(db, records, contract, client):
    """400 (a filter value that is no id), 401 (no account), 403 (a role that may not
    write), 404 (no such record), 428 and 412 (If-Match missing or stale)."""
    world = records["world"]
    answers = {401: ("get", "/api/v1/cycles/", client.get("/api/v1/cycles/"))}
    client.force_login(world.secretary_a1)
    answers[400] = ("get", "/api/v1/participants/", client.get("/api/v1/participants/?cycle=x"))
    denied = client.post("/api/v1/org-units/", {}, content_type="application/json")
    answers[403] = ("post", "/api/v1/org-units/", denied)
    answers[404] = ("get", "/api/v1/cycles/{id}/", client.get("/api/v1/cycles/0/"))
    client.force_login(world.split_person)
    task = KeyTask.objects.get(pk=world.foreign_evidence["admin_a"][KeyTask].pk)
    url, body = f"/api/v1/key-tasks/{task.pk}/", {"title": "改名"}
    for status, headers in ((428, {}), (412, {"HTTP_IF_MATCH": f'"{task.version + 1}"'})):
        response = client.patch(url, body, content_type="application/json", **headers)
        answers[status] = ("patch", "/api/v1/key-tasks/{id}/", response)
    for status, (method, path, response) in answers.items():
        assert response.status_code == status, (method, path)
        contract.check(method, path, response)


@pytest.mark.parametrize("action", ["carry-over", "from-events"])
def test_a_cycle_named_in_the_body_and_not_found_answers_the_documented_404(
    db, records, contract, client, action
):
    """These collection actions look up the cycle their body names in the caller's
    scope: one outside it (or none) answers 404, which the schema documents."""
    client.force_login(records["world"].county_assessor_a)
    path = f"/api/v1/rectification-items/{action}/"
    for cycle in (records["scored"].pk, 0):  # county QB's, none
        response = client.post(path, {"cycle": cycle}, content_type="application/json")
        assert response.status_code == 404
        contract.check("post", path, response)


def test_a_search_term_with_a_nul_character_answers_the_documented_400(
    db, records, contract, client
):
    """No stored text holds a NUL character: DRF refuses such a search term, and the
    answer is an object of messages like every 400 (core.api.exception_handler)."""
    client.force_login(records["world"].admin_a)
    for path in ("/api/v1/users/", "/api/v1/cycles/"):  # searched alone, and with filters
        response = client.get(path, {"search": "甲\x00"})
        assert response.status_code == 400
        assert list(response.json()) == ["non_field_errors"]
        contract.check("get", path, response)


def test_a_body_of_a_media_type_the_operation_does_not_read_answers_the_documented_415(
    db, records, contract, client
):
    client.force_login(records["world"].admin_a)
    response = client.post("/api/v1/org-units/", "code=X", content_type="text/plain")
    assert response.status_code == 415
    contract.check("post", "/api/v1/org-units/", response)
