"""The API answers whatever it is sent as its OpenAPI schema says (DESIGN §4, docs/api.md
"Errors" and "OpenAPI schema"). schemathesis draws requests from the schema the app
serves — every operation: reads with their filters and pages, writes with their bodies
(JSON, form, multipart) and If-Match headers; valid requests and invalid ones (a wrong
type, a missing field, an id that is no number) — and sends them through the WSGI
application (config.wsgi), signed in with an API token as an admin and as a secretary.
Ids are drawn at random and from the records the persona can list, so writes reach real
records too. Whatever is drawn, no answer is a 5xx, and every answer has a status,
content type, headers and body the schema documents for that operation.

Bounded and repeatable: a fixed number of requests per operation and persona, drawn
derandomized (the same requests on every run, whatever the date); no network. About a
minute on two cores."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from config.wsgi import application
from scoring.models import Appeal
from tests.factories import complete_scoring, open_seed_cycle
from tests.platform.test_scope_matrix import add_foreign_cycles

# One world and its records for the module; each test runs in a savepoint inside them,
# so what one operation's requests write is gone before the next.
pytestmark = [
    pytest.mark.usefixtures("shared_world"),
    # The drawn ids reach past 64 bits: PostgreSQL finds no such row, SQLite's driver
    # cannot even send one (an OverflowError) — the demo's database, not production's.
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the production database: PostgreSQL"
    ),
]

REQUESTS_PER_OPERATION = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PERSONAS = ["admin_a", "secretary_a1"]
BASE_URL = "http://testserver"
# Operations on one record whose ids are those of another list.
COLLECTION_OF = {"/api/v1/survey-settings/{id}/": "/api/v1/cycles/"}


def served_schema():
    """The schema /api/schema/ serves, built in process (serving it needs a session)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


SCHEMA = schemathesis.openapi.from_dict(served_schema())
SCHEMA.app = application
# The token goes with every request: the generator draws no credentials of its own.
SCHEMA.config.generation.update(with_security_parameters=False)
# The public ballot (`{token}`) has its own tests: tests/surveys/test_ballot_api.py.
OPERATIONS = [
    operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    if "{token}" not in operation.path
]


def label(operation):
    return f"{operation.method.upper()} {operation.path}"


@pytest.fixture(scope="module")
def tokens(shared_world):
    """The scope walk's records of every kind in both counties, and county QA's cycle
    opened and scored, with computed results; each persona's API token."""
    add_foreign_cycles(shared_world)
    # The walk files appeals in draft cycles; the services never do (an appeal is filed
    # in 公示, so its cycle has a frozen template): not records a request can meet.
    Appeal.objects.filter(participant__cycle__frozen_template__isnull=True).delete()
    complete_scoring(open_seed_cycle(shared_world.county_a), shared_world.county_assessor_a)
    return {
        persona: Token.objects.get_or_create(user=shared_world.persona(persona))[0].key
        for persona in PERSONAS
    }


@pytest.fixture
def wsgi(settings, tmp_path):
    """The WSGI application inside the test's transaction: as Django's own test client
    does, a request neither starts nor ends by closing the database connection (that
    would end the transaction). Uploaded files go to a scratch directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def known_ids(operation, auth):
    """The first ids of the list the operation's record belongs to, as the persona
    reads it (none for an operation without `{id}`)."""
    path = operation.path
    if "{id}" not in path:
        return []
    collection = COLLECTION_OF.get(path, path[: path.index("{id}")])
    answer = Client(application).get(collection, base_url=BASE_URL, headers=auth)
    if answer.status_code != 200:
        return []
    return [row["id"] for row in answer.json["results"][:3]]


def failed_checks(operation, token):
    """Send REQUESTS_PER_OPERATION requests drawn for the operation; the failed checks,
    one line each (the first request of each kind of failure, with a curl to repeat
    it)."""
    auth = {"Authorization": f"Token {token}"}
    ids = [{}, *({"id": pk} for pk in known_ids(operation, auth))]
    drawn = st.one_of(
        [
            operation.as_strategy(mode, path_parameters=path or None)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for path in ids
        ]
    )
    failures = {}

    @settings(
        max_examples=REQUESTS_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=drawn)
    def send(case):
        response = case.call(base_url=BASE_URL, headers=auth)
        try:
            case.validate_response(response, checks=CHECKS)
        except (Failure, FailureGroup) as failure:
            kinds = sorted(type(f).__name__ for f in getattr(failure, "exceptions", [failure]))
            failures.setdefault(tuple(kinds), f"{label(operation)}: {failure}")

    send()
    return list(failures.values())


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=label)
def test_every_operation_answers_as_the_schema_documents(db, tokens, wsgi, operation, persona):
    assert failed_checks(operation, tokens[persona]) == []
