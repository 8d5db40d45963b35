"""Redis down means degraded, not broken (DESIGN §5, §6): with the cache and the broker
pointing at a Redis that does not answer, the residents' ballot pages and API, a
signed-in person's pages and an Excel upload all answer as usual — rate limits are off
meanwhile and say so in the log — a job whose message could not be sent stays queued for
the sweeper, and /healthz says "degraded"."""

import logging
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from kombu.exceptions import OperationalError

from config import health
from core import cache as resilient
from reports.jobs import running
from reports.models import Job, JobState
from surveys.models import Choice, PooledBallot
from tests.factories import open_seed_cycle
from tests.surveys import issue

# Nothing listens on port 1: every connection is refused at once.
DOWN = "redis://127.0.0.1:1/0"
# The product's own cache settings, on that Redis.
REDIS_DOWN = {"default": {**settings.CACHES["default"], "LOCATION": DOWN}}

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "redis" not in settings.CACHES["default"]["BACKEND"].lower(),
        reason="the cache is in Redis only when Redis is configured (CELERY_BROKER_URL)",
    ),
]
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-county.xlsx"


@pytest.fixture
def redis_down():
    """The cache on a Redis that does not answer; each test starts with no outage known
    and no health answer kept."""
    resilient._Outage.failed_at = None
    health._answers.clear()
    with override_settings(CACHES=REDIS_DOWN, CELERY_BROKER_URL=DOWN):
        yield
    resilient._Outage.failed_at = None
    health._answers.clear()


def test_the_ballot_pages_and_api_work_and_take_ballots_while_redis_is_down(
    world, redis_down, caplog
):
    cycle = open_seed_cycle(world.county_a)
    _, _, (code, other) = issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    resident = Client()
    caplog.set_level(logging.WARNING, logger="core.cache")

    assert resident.get(reverse("ballot-code")).status_code == 200
    wrong = resident.post(reverse("ballot-code"), {"code": "ABCD-EFGH-IJKL"})
    assert wrong.status_code == 400 and "评议码无效" in wrong.content.decode()
    assert resident.get(reverse("ballot", args=[code])).status_code == 200
    cast = resident.post(reverse("ballot-cast"), {"code": code, "choice": Choice.SATISFIED})
    assert cast.status_code == 302
    api = resident.post(
        "/api/v1/ballots/",
        {"token": other, "choice": Choice.BASIC},
        content_type="application/json",
    )
    assert api.status_code == 201, api.content.decode()
    assert PooledBallot.objects.count() == 2
    assert any("rate limits are off" in r.getMessage() for r in caplog.records)


def test_signed_in_pages_work_while_redis_is_down(world, redis_down, login):
    cycle = open_seed_cycle(world.county_a)
    staff = login(world.county_assessor_a)
    for url in (reverse("home"), reverse("cycle-detail", args=[cycle.pk])):
        assert staff.get(url).status_code == 200, url


def test_an_upload_while_redis_is_down_is_queued_for_later_not_an_error(
    world, redis_down, login, settings, tmp_path
):
    """The upload is stored and its job waits, queued; the sweeper hands it to a worker
    once the broker answers (tests/reports/test_job_sweeper.py)."""
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = False
    admin = login(world.admin_a)
    upload = SimpleUploadedFile("sample-county.xlsx", SAMPLE.read_bytes())
    with mock.patch.object(
        running.current_app, "send_task", side_effect=OperationalError("Connection refused")
    ):
        response = admin.post(reverse("import-start"), {"file": upload})
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.state == JobState.QUEUED
    page = admin.get(response.url)
    assert page.status_code == 200 and "排队" in page.content.decode()


def test_an_unreachable_cache_makes_the_health_check_say_degraded(client, redis_down):
    with mock.patch.object(health, "check_broker", return_value="ok"):
        body = client.get("/healthz").json()
    assert body == {"database": "ok", "broker": "ok", "cache": "error", "status": "degraded"}


def test_the_cache_misses_drops_writes_and_asks_redis_again_after_a_pause(redis_down):
    """While Redis is down: a miss, a dropped write, an `add` that lets the caller go on,
    `incr` as on a missing key; Redis is not asked again for `RETRY_SECONDS`."""
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)
    assert cache.add("k", 1) is True
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.get_many(["k"]) == {}
    with mock.patch.object(resilient.RedisCacheClient, "get_client") as redis:
        cache.get("k")
    redis.assert_not_called()
    resilient._Outage.failed_at -= resilient.RETRY_SECONDS
    with mock.patch.object(resilient.RedisCacheClient, "get_client") as redis:
        redis.return_value.get.return_value = b"7"
        assert cache.get("k") == 7
    redis.assert_called_once()
    assert resilient._Outage.failed_at is None
