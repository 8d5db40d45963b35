"""A database that restarts or cannot be reached (DESIGN §6): pages and the API answer a
clear 503 that says nothing was saved, a request cut short leaves no half-written rows,
and once the database is back the next request reconnects by itself."""

from unittest import mock

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token

from surveys.ballots import services as ballots
from surveys.models import BallotToken, Choice, PooledBallot
from tests.factories import open_seed_cycle
from tests.surveys import issue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's connections"),
]

GONE = OperationalError("server closed the connection unexpectedly")


def unreachable():
    """New connections are refused from now on, and this thread's is closed."""
    connection.close()
    return mock.patch.object(type(connections["default"]), "get_new_connection", side_effect=GONE)


def test_pages_and_the_api_answer_503_saying_nothing_was_saved_while_the_database_is_down(
    world, login
):
    staff = login(world.county_assessor_a)
    token = Token.objects.create(user=world.county_assessor_a).key
    api = Client(raise_request_exception=False)
    staff.raise_request_exception = False
    with unreachable():
        page = staff.get(reverse("home"))
        answer = api.get("/api/v1/cycles/", HTTP_AUTHORIZATION=f"Token {token}")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    assert "系统暂时不可用" in page.content.decode() and "数据未被修改" in page.content.decode()
    assert answer.status_code == 503 and "稍后重试" in answer.json()["detail"]


def test_a_request_cut_short_by_the_database_leaves_no_half_written_row(world):
    """The token was taken, then the connection died: the ballot page says 503 and the
    token is still unused — the request's one transaction was never committed."""
    cycle = open_seed_cycle(world.county_a)
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    resident = Client(raise_request_exception=False)
    with mock.patch.object(ballots, "mark_inputs_changed", side_effect=GONE):
        cast = resident.post(reverse("ballot-cast"), {"code": code, "choice": Choice.SATISFIED})
    assert cast.status_code == 503
    assert BallotToken.objects.get().used_on is None and not PooledBallot.objects.exists()


def test_after_a_database_restart_the_next_request_reconnects_by_itself():
    """PostgreSQL restarted: this process's kept connection is dead. With health checks
    (CONN_HEALTH_CHECKS) the next request notices and opens a new one instead of failing
    on the old."""
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    handler = WSGIHandler()

    def get(path):
        answered = {}
        body = b"".join(
            handler(
                RequestFactory().get(path).environ,
                lambda status, headers: answered.setdefault("status", status),
            )
        )
        return answered["status"], body

    assert get("/healthz")[0].startswith("200")
    connection.ensure_connection()
    old_pid = connection.connection.get_backend_pid()
    killer = connections.create_connection("default")
    try:
        with killer.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    finally:
        killer.close()

    status, body = get("/healthz")
    assert status.startswith("200"), body
    assert connection.connection.get_backend_pid() != old_pid
