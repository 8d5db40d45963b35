"""A worker SIGKILLed in the middle of a bulletin job (SPEC §5, DESIGN §5): the bulletins
already made stay intact and readable, nothing half-made appears, and the sweeper hands
the job to a worker again, which finishes it — a real worker process on the real Redis.

The job is held in the middle deterministically: the test locks the cycle's row, which
generating a version locks first, so the worker's run waits inside its transaction until
the test kills it."""

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.db import connection, transaction

from assessment import services as cycles
from assessment.models import Cycle
from config.celery import app
from reports import jobs, tasks
from reports.bulletins import services as bulletins
from reports.models import Bulletin, Job, JobKind, JobState
from tests.factories import open_seed_cycle
from tests.workers import (
    NEEDS_WORKER,
    empty_test_broker,
    running_worker,
    through_the_broker,
    wait_until,
)

pytestmark = NEEDS_WORKER

PROJECT = Path(__file__).resolve().parents[2]


def worker_process():
    """`celery worker` in its own process, on this test's database and broker."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        # The broker this process publishes to (Celery lets CELERY_BROKER_URL in the
        # environment override the settings).
        "CELERY_BROKER_URL": app.conf.broker_url,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "WARNING",
        ],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_killed_bulletin_job_leaves_the_old_bulletins_and_is_recovered(world):
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    earlier = bulletins.generate_bulletin(cycle=cycle, quarter=2, actor=None)
    earlier = bulletins.issue_bulletin(
        actor=world.county_assessor_a, bulletin=earlier, version=earlier.version
    )
    job = Job.objects.create(
        kind=JobKind.BULLETIN,
        requested_by=world.county_assessor_a,
        county=cycle.county,
        cycle=cycle,
        options={"cycle": cycle.pk, "quarter": 3},
    )
    empty_test_broker()
    process = worker_process()
    try:
        with transaction.atomic():
            Cycle.objects.select_for_update().get(pk=cycle.pk)  # the run will wait on this
            with through_the_broker():
                tasks.enqueue(job.pk)

            def running():
                return Job.objects.filter(pk=job.pk, state=JobState.RUNNING).exists()

            # (A bound for a hung run only: a worker process starting on a busy machine.)
            assert wait_until(running, seconds=240), "the worker did not start the job"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Killed mid-run: no new version, the issued one intact and readable.
    assert list(Bulletin.objects.filter(cycle=cycle).values_list("pk", flat=True)) == [earlier.pk]
    stored = Bulletin.objects.get(pk=earlier.pk)
    assert stored.number == earlier.number and stored.content == earlier.content
    stuck = Job.objects.get(pk=job.pk)
    assert stuck.state == JobState.RUNNING
    # The worker process runs on the real clock, this test on the suite's pinned one:
    # date the job's creation on the worker's clock too, as one server would.
    Job.objects.filter(pk=job.pk).update(created_at=stuck.started_at - timedelta(minutes=1))
    # Recovered with nobody clicking: the broker redelivers the unacknowledged message
    # to the next worker, or the sweeper (half an hour on) hands the job over again —
    # whichever comes first; the job runs once to the end either way.
    with running_worker():
        jobs.sweep_jobs(now=stuck.started_at + timedelta(minutes=31))

        def finished():
            return Job.objects.get(pk=job.pk).is_finished

        assert wait_until(finished, seconds=240), "the job was not recovered"
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert Bulletin.objects.get(pk=job.result["bulletin"]).quarter == 3
