"""The slips job on a real Celery worker and the real Redis broker (SPEC §5; DESIGN §5):
a batch confirmed in a request is made into tokens and a PDF by the worker after commit,
while the request returns at once."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings
from django.urls import reverse

from config.celery import app
from surveys.models import BallotBatch, SlipsState
from tests.factories import open_seed_cycle

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("CELERY_BROKER_URL"), reason="needs the real broker (CELERY_BROKER_URL)"
    ),
]


@pytest.fixture
def worker():
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False),
        start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"),
    ):
        yield
    app.conf.task_always_eager = eager


def wait_until(condition, seconds=60):
    """Poll (not a speed assertion: the bound only stops a hung run)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_confirmed_batch_gets_its_slips_from_the_worker(world, worker, login):
    cycle = open_seed_cycle(world.county_a)
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")
    client = login(world.county_assessor_a)
    url = reverse("ballot-batch-create", args=[cycle.pk])
    key = client.post(
        url, {"community": world.community_a1.pk, "category": residents.pk, "size": 9}
    ).context["request_key"]
    done = client.post(
        url,
        {
            "community": world.community_a1.pk,
            "category": residents.pk,
            "size": 9,
            "confirm": "1",
            "request_key": key,
        },
    )
    batch = BallotBatch.objects.get()
    assert done.status_code == 302

    def ready():
        batch.refresh_from_db()
        return batch.slips_state == SlipsState.READY

    assert wait_until(ready), "the worker did not make the slips"
    assert batch.tokens.count() == 9 and batch.slips_file
    pdf = client.post(reverse("ballot-batch-slips", args=[batch.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
