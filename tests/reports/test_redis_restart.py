"""Redis restarts (DESIGN §5, §6): a private Redis server, the broker and the cache of this
test, is stopped and started again (it keeps nothing on disk, as in production). A score
saved meanwhile is kept — acknowledged writes live in PostgreSQL — the pages keep
working, and the work Redis lost (a message queued before the restart, a recompute that
could not be queued during it) is handed to a worker by the sweeper afterwards, with
nobody clicking 重新计算."""

import socket
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from assessment.models import Cycle
from config.celery import app
from core import cache as resilient
from reports.jobs import sweeper
from reports.models import Job, JobKind, JobState
from scoring.models import ScoreEntry, Source
from scoring.services import compute_cycle, enter_score, results_are_stale
from tests.factories import TEST_PASSWORD, logs_in, open_seed_cycle
from tests.workers import NEEDS_WORKER, running_worker, through_the_broker, wait_until

pytestmark = NEEDS_WORKER


class PrivateRedis:
    """A redis-server of the test's own on a free port, stopped and started at will."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)

        def answers():
            try:
                return client.ping()
            except redis.ConnectionError:
                return False

        assert wait_until(answers, seconds=30), "redis-server did not start"

    def stop(self):
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


@contextmanager
def using(server):
    """This process's broker and cache on `server` (the worker started inside too)."""
    saved = app.conf.broker_url
    cache = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": f"{server.url}/1",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    def reconnect(url):
        app.conf.broker_url = url
        app._pool = None  # Celery's connection pools, made for the old address
        app.amqp._producer_pool = None

    reconnect(f"{server.url}/0")
    resilient._Outage.failed_at = None
    try:
        with override_settings(CACHES=cache, CELERY_BROKER_URL=f"{server.url}/0"):
            yield
    finally:
        reconnect(saved)
        resilient._Outage.failed_at = None


def recomputes(cycle):
    return Job.objects.filter(kind=JobKind.RECOMPUTE, cycle=cycle)


def test_after_a_redis_restart_no_saved_score_is_lost_and_the_lost_work_resumes(
    world, private_redis
):
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    compute_cycle(cycle.pk)
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    a1, a2 = (cycle.participants.get(secretary=world.secretaries[k]) for k in ("a1", "a2"))
    staff = Client()
    assert logs_in(staff, "county_a", TEST_PASSWORD)
    with using(private_redis), through_the_broker():
        # Queued before the restart, with no worker yet: Redis holds the message.
        enter_score(
            actor=world.county_assessor_a,
            participant=a1,
            leaf=leaf,
            source=Source.TARGET,
            value="2",
        )
        assert recomputes(cycle).filter(state=JobState.QUEUED).count() == 1
        private_redis.stop()
        # Redis down: the score is saved all the same, and the pages answer.
        enter_score(
            actor=world.county_assessor_a,
            participant=a2,
            leaf=leaf,
            source=Source.TARGET,
            value="1",
        )
        assert staff.get(reverse("cycle-detail", args=[cycle.pk])).status_code == 200
        private_redis.start()  # empty: the queued message is gone
        assert ScoreEntry.objects.get(participant=a1, leaf=leaf, source=Source.TARGET).value == 2
        assert ScoreEntry.objects.get(participant=a2, leaf=leaf, source=Source.TARGET).value == 1
        assert results_are_stale(Cycle.objects.get(pk=cycle.pk))
        with running_worker():
            # The sweeper's next pass, once the lost message has waited its five minutes.
            later = timezone.now() + sweeper.REQUEUE_QUEUED_AFTER + timedelta(minutes=1)
            sweeper.sweep_jobs(now=later)

            def current():
                return not results_are_stale(Cycle.objects.get(pk=cycle.pk))

            assert wait_until(current, seconds=120), "the results were not recomputed"
    assert recomputes(cycle).filter(state=JobState.DONE).exists()
    assert (
        Decimal(2) == ScoreEntry.objects.get(participant=a1, leaf=leaf, source=Source.TARGET).value
    )
