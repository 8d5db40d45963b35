"""The slips job on a real Celery worker and the real Redis broker (SPEC §5; DESIGN §5):
a batch confirmed in a request is made into tokens and a PDF by the worker after commit,
while the request returns at once."""

from django.urls import reverse

from surveys.models import BallotBatch, SlipsState
from tests.factories import open_seed_cycle
from tests.workers import NEEDS_WORKER, wait_until

pytestmark = NEEDS_WORKER


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
