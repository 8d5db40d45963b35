"""/healthz: database (and broker, when configured) status; 503 without a database."""

import os
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import override_settings

from config import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_answers():
    """Each test asks the broker and the cache anew (answers are otherwise kept 15 s)."""
    health._answers.clear()


def test_healthy_instance_answers_200_with_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["status"] in ("ok", "degraded")


def test_unreachable_database_answers_503(client):
    with mock.patch.object(health.connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["status"]) == ("error", "error")


@override_settings(
    CELERY_BROKER_URL="",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
)
def test_without_a_broker_or_redis_only_the_database_is_checked(client):
    assert client.get("/healthz").json() == {"database": "ok", "status": "ok"}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_an_unreachable_broker_is_reported_as_degraded(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"] == "error"


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="needs the real broker (CELERY_BROKER_URL)"
)
def test_the_configured_broker_answers(client):
    assert client.get("/healthz").json()["broker"] == "ok"
