"""Recomputes as jobs (SPEC §5, DESIGN §3, §5): every change to a cycle's inputs asks
for one recompute, changes arriving while it waits share it, and the sweeper recomputes
results left stale with nobody asking; one live run of a job at a time (PostgreSQL's
advisory lock), and a run whose process died is handed over at the next sweep."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus
from reports.jobs import recompute, running, sweeper
from reports.models import Job, JobKind, JobState
from scoring.services import compute_cycle, current_results, results_are_stale
from tests.factories import fresh_cycle, open_seed_cycle
from tests.workers import wait_until

pytestmark = pytest.mark.usefixtures("shared_world")

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's"
)


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def broker(settings):
    """A broker that takes every message (the jobs stay queued: nobody runs them)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with mock.patch.object(running.current_app, "send_task") as send:
        yield send


def change(cycle, django_capture_on_commit_callbacks):
    """One committed change to the cycle's inputs (its listeners run)."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        cycles.mark_inputs_changed(cycle)


def recomputes(cycle):
    return Job.objects.filter(kind=JobKind.RECOMPUTE, cycle=cycle)


def sweep(django_capture_on_commit_callbacks, now=None):
    with django_capture_on_commit_callbacks(execute=True):
        return sweeper.sweep_jobs(now=now)


def test_a_change_queues_one_recompute_and_changes_while_it_waits_share_it(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    change(cycle, django_capture_on_commit_callbacks)
    change(cycle, django_capture_on_commit_callbacks)
    (job,) = recomputes(cycle)
    assert job.state == JobState.QUEUED and job.requested_by is None
    assert job.county == cycle.county
    # It starts a moment later, so that changes made meanwhile share it too.
    broker.assert_called_once_with(
        running.RUN_TASK, args=[job.pk], countdown=recompute.GATHER_SECONDS
    )


def test_a_slow_cycle_gathers_changes_as_long_as_its_last_recompute_took(
    cycle, broker, django_capture_on_commit_callbacks
):
    """Under continuous saving a cycle's recomputes take at most about a third of a
    worker: the wait is twice the last recompute's duration when that is longer than
    the usual half second (a city's), capped."""
    compute_cycle(cycle.pk)
    current = current_results(cycle)
    for took_ms, waited in ((200, recompute.GATHER_SECONDS), (1500, 3.0), (60_000, 5.0)):
        type(current).objects.filter(pk=current.pk).update(duration_ms=took_ms)
        recomputes(cycle).delete()
        broker.reset_mock()
        change(Cycle.objects.get(pk=cycle.pk), django_capture_on_commit_callbacks)
        (job,) = recomputes(cycle)
        broker.assert_called_once_with(running.RUN_TASK, args=[job.pk], countdown=waited)


def test_the_recompute_makes_the_results_current_and_says_so(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()
    running.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.message == "结果已是最新。"
    assert job.result == {"version": current_results(cycle).pk}
    assert not results_are_stale(Cycle.objects.get(pk=cycle.pk))


def test_a_change_during_a_run_queues_the_next_and_the_run_hands_over(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()

    def moved_meanwhile(cycle_id):
        change(cycle, django_capture_on_commit_callbacks)  # committed while computing
        return None  # what compute_cycle answers when its inputs moved

    with mock.patch("reports.jobs.recompute.compute_cycle", side_effect=moved_meanwhile):
        running.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.result == {"superseded": True}
    assert "由下一次计算接替" in job.message
    assert recomputes(cycle).filter(state=JobState.QUEUED).count() == 1


def test_results_left_stale_with_nobody_asking_are_recomputed_by_the_sweeper(
    cycle, django_capture_on_commit_callbacks
):
    """A change whose recompute was never queued (the broker or Redis was down)."""
    compute_cycle(cycle.pk)
    Cycle.objects.filter(pk=cycle.pk).update(inputs_version=cycle.inputs_version + 1)
    assert not recomputes(cycle).exists()
    requeued, failed, recomputed = sweep(django_capture_on_commit_callbacks)
    assert cycle.pk in recomputed
    assert recomputes(cycle).get().state == JobState.DONE  # run at once: no broker here
    assert not results_are_stale(Cycle.objects.get(pk=cycle.pk))
    # Current now: the next sweep leaves the cycle alone.
    assert cycle.pk not in sweep(django_capture_on_commit_callbacks)[2]


def test_the_sweeper_leaves_a_cycle_whose_recompute_waits_or_runs(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    assert cycle.pk not in sweep(django_capture_on_commit_callbacks)[2]
    recomputes(cycle).update(state=JobState.RUNNING, started_at=timezone.now())
    with mock.patch.object(running, "run_is_alive", return_value=True):
        assert cycle.pk not in sweep(django_capture_on_commit_callbacks)[2]
    assert recomputes(cycle).count() == 1


def test_a_recompute_that_failed_is_not_retried_on_the_same_inputs_but_after_a_change(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()
    with mock.patch("reports.jobs.recompute.compute_cycle", side_effect=RuntimeError("boom")):
        running.run_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "仍显示上一次的结果" in job.message
    assert cycle.pk not in sweep(django_capture_on_commit_callbacks)[2]
    Cycle.objects.filter(pk=cycle.pk).update(inputs_version=cycle.inputs_version + 5)
    assert cycle.pk in sweep(django_capture_on_commit_callbacks)[2]


def test_a_published_or_draft_cycle_is_never_recomputed_by_the_sweeper(
    world, cycle, django_capture_on_commit_callbacks
):
    draft = cycles.create_cycle(
        actor=None, county=world.county_b, name="草稿周期", year=2026, template=None
    )
    Cycle.objects.filter(pk=cycle.pk).update(
        status=CycleStatus.PUBLISHED, inputs_version=cycle.inputs_version + 1
    )
    recomputed = sweep(django_capture_on_commit_callbacks)[2]
    assert draft.pk not in recomputed and cycle.pk not in recomputed


def test_finished_recomputes_are_forgotten_after_two_days(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()
    running.run_job(job.pk)
    later = timezone.now() + sweeper.RECOMPUTES_KEPT
    sweep(django_capture_on_commit_callbacks, now=later - timedelta(minutes=1))
    assert Job.objects.filter(pk=job.pk).exists()
    sweep(django_capture_on_commit_callbacks, now=later + timedelta(minutes=1))
    assert not Job.objects.filter(pk=job.pk).exists()


# One live run at a time (PostgreSQL)


class OtherSession:
    """A second database session (another worker's), holding a job's run lock."""

    def __init__(self, job_id):
        self.job_id = job_id

    def __enter__(self):
        self.connection = connections.create_connection("default")
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [running.RUN_LOCK_SPACE, self.job_id])
        return self

    def __exit__(self, *exc):
        self.connection.close()  # a closed session's locks go with it,
        # once its server process has seen the client leave (a moment later).
        assert wait_until(lambda: running.run_is_alive(self.job_id) is False, seconds=30)


@ON_POSTGRESQL
def test_a_second_delivery_of_a_job_another_worker_runs_is_left_alone(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()
    with OtherSession(job.pk):
        assert running.run_job(job.pk) is None
        assert Job.objects.get(pk=job.pk).state == JobState.QUEUED
    assert running.run_job(job.pk).state == JobState.DONE


@ON_POSTGRESQL
def test_a_running_job_is_handed_over_at_once_when_its_process_is_gone_and_not_before(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    job = recomputes(cycle).get()
    recomputes(cycle).update(state=JobState.RUNNING, started_at=timezone.now())
    with OtherSession(job.pk):
        # Alive (its session holds the lock), however long it has been running.
        an_hour_on = timezone.now() + timedelta(hours=1)
        assert sweep(django_capture_on_commit_callbacks, now=an_hour_on)[0] == []
        assert running.run_is_alive(job.pk) is True
    assert running.run_is_alive(job.pk) is False
    # Its session gone: the very next sweep hands it over, minutes after it started.
    soon = timezone.now() + timedelta(minutes=1)
    assert sweep(django_capture_on_commit_callbacks, now=soon)[0] == [job.pk]
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.options["requeued"] == 1


def test_a_dead_recompute_whose_cycle_already_has_a_waiting_one_is_closed_not_doubled(
    cycle, broker, django_capture_on_commit_callbacks
):
    change(cycle, django_capture_on_commit_callbacks)
    dead = recomputes(cycle).get()
    recomputes(cycle).update(
        state=JobState.RUNNING, started_at=timezone.now() - timedelta(minutes=45)
    )
    change(cycle, django_capture_on_commit_callbacks)  # a newer one waits
    with mock.patch.object(running, "run_is_alive", return_value=False):
        sweep(django_capture_on_commit_callbacks)
    dead.refresh_from_db()
    assert dead.state == JobState.DONE and dead.result == {"superseded": True}
    assert recomputes(cycle).filter(state=JobState.QUEUED).count() == 1
