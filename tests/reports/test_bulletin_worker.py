"""A bulletin job on a real Celery worker and the real Redis broker (SPEC §5, DESIGN §5):
the request that asks for a version returns at once, the worker makes it after commit,
and the job ends done with the new version named in its result."""

from django.urls import reverse

from assessment import services as cycles
from reports.models import Bulletin, Job, JobKind, JobState
from tests.factories import open_seed_cycle
from tests.workers import NEEDS_WORKER, wait_until

pytestmark = NEEDS_WORKER


def test_a_bulletin_asked_for_in_the_browser_is_made_by_the_worker(world, worker, login):
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    client = login(world.county_assessor_a)
    response = client.post(reverse("bulletin-list", args=[cycle.pk]), {"quarter": "3"})
    assert response.status_code == 302
    job = Job.objects.get(kind=JobKind.BULLETIN, cycle=cycle)

    def finished():
        job.refresh_from_db()
        return job.is_finished

    assert wait_until(finished), "the worker did not run the bulletin job"
    assert job.state == JobState.DONE, job.message
    bulletin = Bulletin.objects.get(pk=job.result["bulletin"])
    assert (bulletin.quarter, bulletin.state, bulletin.generated_by) == (
        3,
        "draft",
        world.county_assessor_a,
    )
    page = client.get(reverse("bulletin-detail", args=[bulletin.pk]))
    assert page.status_code == 200 and "二、暂定排名" in page.content.decode()
