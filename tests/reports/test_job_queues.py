"""Jobs routed to Celery queues per kind and county shard (issue 16, scale-out:
reports/jobs/queues.py): the layouts, the queue each job is sent to, and a real worker
that consumes only one county's shard running that county's recompute."""

from contextlib import contextmanager
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.db import transaction

from assessment import services as cycles
from assessment.models import Cycle
from config.celery import app
from reports.jobs import queues, running
from reports.models import Job, JobKind
from scoring.services import current_results
from tests.factories import complete_scoring, open_seed_cycle
from tests.workers import NEEDS_WORKER, empty_test_broker, through_the_broker, wait_until


def test_the_default_layout_keeps_every_job_on_one_queue():
    assert queues.layout("") == (False, 0)
    assert queues.queue_for(JobKind.RECOMPUTE, 7, "") is None
    assert queues.job_queues(value="") == []


def test_by_kind_each_group_has_its_queue():
    assert queues.queue_for(JobKind.IMPORT_APPLY, 7, "kind") == "jobs.imports"
    assert queues.queue_for(JobKind.IMPORT_PREVIEW, 7, "kind") == "jobs.imports"
    assert queues.queue_for(JobKind.BULLETIN, 7, "kind") == "jobs.reports"
    assert queues.job_queues(value="kind") == [
        "jobs.imports",
        "jobs.maintenance",
        "jobs.recompute",
        "jobs.reports",
        "jobs.slips",
    ]
    # Every kind of job has a group (a new kind must be given one).
    assert set(queues.GROUPS) == set(JobKind)


def test_by_kind_and_shard_a_county_always_goes_to_the_same_shard():
    shard = queues.shard_of(7, 4)
    assert queues.queue_for(JobKind.RECOMPUTE, 7, "kind:4") == f"jobs.recompute.{shard}"
    assert queues.queue_for(JobKind.BULLETIN, 7, "kind:4") == f"jobs.reports.{shard}"
    assert queues.queue_for(JobKind.BACKUP, None, "kind:4").startswith("jobs.maintenance.")


def test_counties_made_together_spread_over_the_shards():
    """County ids step evenly (each county's units come between them): a hash, not the
    id modulo N, spreads them — 8 counties 10,026 ids apart reach at least 3 of 4
    shards and 5 of 8 (id mod 4 would put them all on 2)."""
    counties = [1 + 10026 * n for n in range(8)]
    assert len({county % 4 for county in counties}) == 2
    assert len({queues.shard_of(county, 4) for county in counties}) >= 3
    assert len({queues.shard_of(county, 8) for county in counties}) >= 5
    assert queues.job_queues("recompute", value="kind:2") == [
        "jobs.recompute.0",
        "jobs.recompute.1",
    ]


@pytest.mark.parametrize("value", ["kinds", "kind:", "kind:0", "kind:x", "county"])
def test_a_wrong_layout_is_refused_with_what_is_allowed(value):
    with pytest.raises(ValueError, match="kind:N"):
        queues.layout(value)


def test_the_command_prints_the_queues_for_a_worker(settings, capsys):
    settings.JOB_QUEUES = "kind:2"
    call_command("job_queues", "reports")
    assert capsys.readouterr().out.strip() == "jobs.reports.0,jobs.reports.1"
    settings.JOB_QUEUES = ""
    call_command("job_queues")
    assert capsys.readouterr().out.strip() == "celery"


@pytest.mark.django_db
def test_a_job_is_sent_to_its_countys_shard(world, settings):
    settings.JOB_QUEUES = "kind:3"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    job = Job.objects.create(kind=JobKind.RECOMPUTE, county=world.county_a)
    with mock.patch.object(running.current_app, "send_task") as send:
        running.enqueue(job.pk)
    send.assert_called_once_with(
        running.RUN_TASK,
        args=[job.pk],
        countdown=None,
        queue=f"jobs.recompute.{queues.shard_of(world.county_a.pk, 3)}",
    )


@contextmanager
def consuming_only_for_the_block():
    """A worker given queues narrows the app's own list of queues to consume (Celery
    keeps it on the app): put it back, or the suite's next worker in this process would
    take nothing from the default queue."""
    before = app.amqp.queues._consume_from
    try:
        yield
    finally:
        app.amqp.queues._consume_from = before


class TestOnARealWorker:
    pytestmark = NEEDS_WORKER

    def test_a_worker_on_one_countys_shard_runs_its_recompute(self, world, settings):
        settings.JOB_QUEUES = "kind:2"
        cycle = complete_scoring(open_seed_cycle(world.county_a), world.county_assessor_a)
        shard = queues.queue_for(JobKind.RECOMPUTE, world.county_a.pk)
        empty_test_broker()
        with (
            consuming_only_for_the_block(),
            through_the_broker(),
            start_worker(
                app, perform_ping_check=False, pool="solo", loglevel="WARNING", queues=[shard]
            ),
        ):
            with transaction.atomic():
                cycles.mark_inputs_changed(cycle)
            target = Cycle.objects.get(pk=cycle.pk).inputs_version

            def recomputed():
                version = current_results(cycle)
                return version is not None and version.inputs_version == target

            assert wait_until(recomputed), f"the worker on {shard} did not recompute"
