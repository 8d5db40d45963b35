"""A real Celery worker for the job tests (SPEC §5): the broker is the real Redis of CI
(`CELERY_BROKER_URL`); without it those tests are skipped."""

import os
import time
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

from config.celery import app

# The marks of a module whose tests need a worker: committed transactions (the worker
# reads what the test wrote) and the broker.
NEEDS_WORKER = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="needs the real broker (CELERY_BROKER_URL)"
    ),
]


@contextmanager
def through_the_broker():
    """Tasks go to the real broker while the block runs (the suite runs them eagerly)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        app.conf.task_always_eager = eager


# Broker databases from this index on belong to the suite's parallel workers alone
# (tests/settings.py), so they may be emptied.
FIRST_TEST_BROKER_DB = 8


def empty_test_broker():
    """Forget messages an earlier run left in this worker's own broker database (a task
    a killed worker never acknowledged comes back an hour later, and job ids restart in
    every new test database)."""
    url = app.conf.broker_url or ""
    if url.startswith("redis") and int(url.rsplit("/", 1)[-1] or 0) >= FIRST_TEST_BROKER_DB:
        redis.Redis.from_url(url).flushdb()


@contextmanager
def running_worker():
    """A worker in this process (solo pool), taking tasks from the real broker while the
    block runs."""
    empty_test_broker()
    with (
        through_the_broker(),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"),
    ):
        yield


@pytest.fixture
def worker():
    """`running_worker` for the whole test."""
    with running_worker():
        yield


def wait_until(condition, seconds=60):
    """Poll (not a speed assertion: the bound only stops a hung run)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
