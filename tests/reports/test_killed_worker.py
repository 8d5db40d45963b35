"""A worker SIGKILLed in the middle of a bulletin job, a recompute or an import (SPEC §5,
DESIGN §5): the bulletins, results and data already there stay intact and readable,
nothing half-made appears, and the sweeper hands the job to a worker again at its next run, which
finishes it — a real worker process on the real Redis.

Each job is held in the middle deterministically: the test holds a lock the run needs,
so the worker's run waits inside its transaction until the test kills it."""

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction

from assessment import services as cycles
from assessment.models import Cycle
from config.celery import app
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role
from reports.bulletins import services as bulletins
from reports.jobs import imports, running, sweeper
from reports.models import Bulletin, Job, JobKind, JobState
from scoring.models import Result, ScoreEntry
from scoring.services import compute_cycle, current_results, results_are_stale
from tests.conftest import person
from tests.factories import OrgUnitFactory, open_seed_cycle
from tests.workers import (
    NEEDS_WORKER,
    empty_test_broker,
    running_worker,
    through_the_broker,
    wait_until,
)

pytestmark = NEEDS_WORKER

PROJECT = Path(__file__).resolve().parents[2]
SAMPLE = PROJECT / "tests" / "fixtures" / "sample-county.xlsx"


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


@contextmanager
def holding(table):
    """Another session holds a lock on `table` that every write to it waits for, while
    the block runs: a job writing there waits inside its transaction."""
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        yield
    finally:
        holder.close()


def waited_for(table):
    """Whether someone waits for a lock on `table` (the job, held by `holding`)."""

    def waiting():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
                [table],
            )
            return cursor.fetchone()[0] > 0

    return waiting


@contextmanager
def recovered_by_the_next_sweep(job):
    """The killed job, still 处理中, handed to a new worker (running while the block runs)
    by the sweeper with nobody clicking, at its next pass: the killed run's database
    session is gone, and with it the job's run lock — not half an hour on, and not when
    the broker redelivers the unacknowledged message an hour on."""
    stuck = Job.objects.get(pk=job.pk)
    assert stuck.state == JobState.RUNNING
    # The worker process runs on the real clock, this test on the suite's pinned one:
    # date the job's creation on the worker's clock too, as one server would.
    Job.objects.filter(pk=job.pk).update(created_at=stuck.started_at - timedelta(minutes=1))
    with running_worker():

        def handed_over():
            requeued, _failed, _recomputed = sweeper.sweep_jobs(
                now=stuck.started_at + timedelta(minutes=1)
            )
            return job.pk in requeued or Job.objects.get(pk=job.pk).is_finished

        assert wait_until(handed_over, seconds=60), "the sweeper did not see the run was dead"
        yield


def test_a_killed_bulletin_job_leaves_the_old_bulletins_and_is_recovered(world):
    """Held by the cycle's row, which generating a version locks first."""
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
                running.enqueue(job.pk)

            def started():
                return Job.objects.filter(pk=job.pk, state=JobState.RUNNING).exists()

            # (A bound for a hung run only: a worker process starting on a busy machine.)
            assert wait_until(started, seconds=240), "the worker did not start the job"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Killed mid-run: no new version, the issued one intact and readable.
    assert list(Bulletin.objects.filter(cycle=cycle).values_list("pk", flat=True)) == [earlier.pk]
    stored = Bulletin.objects.get(pk=earlier.pk)
    assert stored.number == earlier.number and stored.content == earlier.content
    with recovered_by_the_next_sweep(job):

        def finished():
            return Job.objects.get(pk=job.pk).is_finished

        assert wait_until(finished, seconds=240), "the job was not recovered"
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert Bulletin.objects.get(pk=job.result["bulletin"]).quarter == 3


def test_a_killed_recompute_leaves_the_previous_results_and_is_recovered_by_the_sweeper(world):
    """Held deterministically: another session locks the result versions' table, so the
    worker's run waits inside its transaction, having computed, until the test kills it."""
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    before = compute_cycle(cycle.pk)
    rows_before = Result.objects.filter(version=before).count()
    empty_test_broker()
    process = worker_process()
    try:
        with holding("scoring_resultversion"):
            with through_the_broker(), transaction.atomic():
                cycles.mark_inputs_changed(cycle)  # its recompute is queued once this commits
            job = Job.objects.filter(kind=JobKind.RECOMPUTE, cycle=cycle).latest("pk")
            assert job.state in (JobState.QUEUED, JobState.RUNNING)
            assert wait_until(waited_for("scoring_resultversion"), seconds=240), "not started"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Killed mid-run: the previous results are still the current ones, whole.
    assert current_results(cycle) == before
    assert Result.objects.filter(version=before).count() == rows_before
    with recovered_by_the_next_sweep(job):

        def current():
            return not results_are_stale(Cycle.objects.get(pk=cycle.pk))

        assert wait_until(current, seconds=240), "the results were not recomputed"
    assert Job.objects.get(pk=job.pk).state == JobState.DONE
    assert current_results(cycle) != before


def test_a_killed_import_leaves_nothing_half_applied_and_is_recovered_by_the_sweeper(world):
    """Held while writing scores (another session locks the score table), having written
    the county's units and the cycle in its transaction: killed there, none of it stays;
    the sweeper's new run applies the whole workbook."""
    county = OrgUnitFactory(code="360400", name="青溪县", kind=OrgUnitKind.COUNTY)
    admin = person(Role.ADMIN, county, "admin_qx", "青溪管理员")
    upload = SimpleUploadedFile("sample-county.xlsx", SAMPLE.read_bytes())
    with transaction.atomic():
        preview = imports.start_import(actor=admin, upload=upload)  # checked in-process
    preview.refresh_from_db()
    assert preview.state == JobState.DONE and imports.confirmable(preview), preview.message
    units_before = OrgUnit.objects.count()
    empty_test_broker()
    process = worker_process()
    try:
        with holding("scoring_scoreentry"):
            with through_the_broker(), transaction.atomic():
                job = imports.confirm_import(actor=admin, job=preview)
            assert wait_until(waited_for("scoring_scoreentry"), seconds=240), "not started"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    # Killed mid-apply: not one unit, cycle or score of the workbook is there.
    assert OrgUnit.objects.count() == units_before
    assert not Cycle.objects.filter(county=county).exists()
    with recovered_by_the_next_sweep(job):

        def finished():
            return Job.objects.get(pk=job.pk).is_finished

        assert wait_until(finished, seconds=240), "the import was not recovered"
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.message
    assert Cycle.objects.filter(county=county).count() == 1
    assert ScoreEntry.objects.filter(participant__cycle__county=county).exists()
