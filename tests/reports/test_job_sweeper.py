"""The sweeper (DESIGN §5): every few minutes by the schedule, it hands a job whose
message never reached a worker, or whose worker died mid-run, to a worker again, gives
up after a few tries, and fails what is abandoned for good; a broker that cannot be
reached leaves a job queued instead of failing the request."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from assessment import services as cycles
from config.celery import app
from reports.jobs import running, sweeper
from reports.jobs.recompute import GATHER_MAX_SECONDS
from reports.models import Bulletin, Job, JobKind, JobState
from tests.factories import fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def bulletin_job(world, cycle, **fields):
    """A bulletin job recorded but never handed over (its on-commit hand-over not run)."""
    job = running.start_job(
        kind=JobKind.BULLETIN,
        requested_by=world.county_assessor_a,
        county=cycle.county,
        cycle=cycle,
        options={"cycle": cycle.pk, "quarter": 3},
    )
    Job.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def sweep(django_capture_on_commit_callbacks, minutes=0):
    """(requeued, failed) job ids of one sweep `minutes` from now."""
    with django_capture_on_commit_callbacks(execute=True):
        requeued, failed, _recomputed = sweeper.sweep_jobs(
            now=timezone.now() + timedelta(minutes=minutes)
        )
    return requeued, failed


def test_a_job_whose_message_was_lost_is_handed_over_again(
    world, cycle, django_capture_on_commit_callbacks
):
    job = bulletin_job(world, cycle)
    assert sweep(django_capture_on_commit_callbacks, minutes=1) == ([], [])
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED  # not yet: give it time
    requeued, failed = sweep(django_capture_on_commit_callbacks, minutes=6)
    assert (requeued, failed) == ([job.pk], [])
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.options["requeued"] == 1
    assert Bulletin.objects.filter(pk=job.result["bulletin"], quarter=3).exists()


def test_a_job_whose_worker_died_is_run_again_and_the_dead_run_cannot_finish_it(
    world, cycle, django_capture_on_commit_callbacks
):
    started = timezone.now() - timedelta(minutes=45)
    job = bulletin_job(world, cycle, state=JobState.RUNNING, started_at=started)
    dead_run_version = job.version
    assert sweep(django_capture_on_commit_callbacks) == ([job.pk], [])
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.version > dead_run_version
    # The vanished run, were it to come back, holds an old version: it changes nothing.
    stale = Job.objects.get(pk=job.pk)
    stale.version = dead_run_version
    running.finish(stale, JobState.FAILED, "旧的运行", {})
    assert Job.objects.get(pk=job.pk).state == JobState.DONE


def test_after_three_hand_overs_the_job_fails_with_a_message(
    world, cycle, django_capture_on_commit_callbacks
):
    job = bulletin_job(
        world, cycle, options={"cycle": cycle.pk, "quarter": 3, "requeued": sweeper.MAX_REQUEUES}
    )
    assert sweep(django_capture_on_commit_callbacks, minutes=10) == ([], [job.pk])
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "多次中断" in job.message


def test_a_job_unfinished_for_hours_is_failed_in_words_of_its_kind(
    world, cycle, django_capture_on_commit_callbacks
):
    job = bulletin_job(world, cycle)
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=7))
    assert sweep(django_capture_on_commit_callbacks) == ([], [job.pk])
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.message.endswith("未完成。请重新发起。")


@override_settings(CELERY_TASK_ALWAYS_EAGER=False)
def test_a_broker_out_of_reach_leaves_the_job_queued_and_the_request_whole(world, cycle):
    job = bulletin_job(world, cycle)
    with mock.patch.object(running.current_app, "send_task", side_effect=ConnectionError("down")):
        running.enqueue(job.pk)  # no exception
    assert Job.objects.get(pk=job.pk).state == JobState.QUEUED


def test_the_sweeper_runs_every_five_minutes_from_a_fresh_database(installed_schedules):
    task = PeriodicTask.objects.get(task="reports.tasks.sweep")
    assert task.enabled and (task.interval.every, task.interval.period) == (5, "minutes")


def test_a_message_its_killed_worker_never_acknowledged_is_redelivered_within_minutes():
    """Redis redelivers an unacknowledged message after the visibility timeout (Celery's
    default: an hour); ours is minutes, longer than any countdown a job is queued with."""
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert GATHER_MAX_SECONDS < timeout <= 15 * 60
