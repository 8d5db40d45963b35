"""Starting and running jobs (SPEC §5, DESIGN §5).

- `start_job` records a job and hands it to a worker once the caller's transaction
  commits (in-process without a broker); `run_job` runs it. A finished job is never run
  again; one whose worker died halfway runs again from the start — every kind does its
  work in one transaction, so a cut-short run leaves what was there before.
- One live run at a time: on PostgreSQL a run holds a session advisory lock on its job
  for as long as it runs. A second delivery of the same message finds it taken and
  leaves; the sweeper finds it free when the run's process is gone (PostgreSQL drops a
  dead connection's locks) and hands the job to a worker again at once.
- Progress: a job whose work is one long transaction cannot show progress through its
  row (the polling page would see it only at the commit). It goes to the cache (Redis
  when there is a broker) keyed by the job; the row is written when the job starts and
  ends.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reports import notices
from reports.jobs import queues
from reports.models import Job, JobState

logger = logging.getLogger(__name__)

PROGRESS_KEY = "reports:job-progress:{}"
PROGRESS_SECONDS = 24 * 60 * 60
# The Celery task that runs a job (`reports.tasks.run_job`), sent by name.
RUN_TASK = "reports.tasks.run_job"
# The advisory-lock namespace of job runs ("jobs" in ASCII), beside the job's id.
RUN_LOCK_SPACE = 0x6A6F6273


@dataclass(frozen=True)
class JobWork:
    """What a kind of job does. `run(job)` returns `(message, result dict)`, or raises a
    ValidationError whose messages say why it could not be done; anything else that it
    raises fails the job with `failed` (the traceback goes to the log). `abandoned` is
    the message of a job the sweeper gives up on; `after_finish(job)` tidies up once it
    ended, however it ended."""

    run: Callable[[Job], tuple[str, dict]]
    failed: Promise = _("处理时发生意外错误。请稍后重试；如仍失败，请联系系统管理员。")
    abandoned: Promise = _("任务中断（处理进程已停止），未完成。请重新发起。")
    after_finish: Callable[[Job], None] | None = None


WORK = {}


def register_work(kind, run, **messages):
    """The work of jobs of `kind` (filled at start-up by the feature owning the kind)."""
    WORK[kind] = JobWork(run, **messages)
    return WORK[kind]


def start_job(*, kind, requested_by, county, cycle=None, options=None, countdown=None, **fields):
    """Record a job of `kind` and hand it to a worker once the caller's transaction
    commits (in-process without a broker), to start `countdown` seconds later if given."""
    job = Job.objects.create(
        kind=kind,
        requested_by=requested_by,
        county=county,
        cycle=cycle,
        options=options or {},
        message=_("排队中"),
        **fields,
    )
    transaction.on_commit(lambda: enqueue(job.pk, countdown))
    return job


def enqueue(job_id, countdown=None):
    """Hand the job to a worker; call once the job's row is committed. Without a broker
    (the demo) it runs here and now. When the broker cannot be reached the job stays
    queued and the sweeper hands it over later (the request that asked for it does not
    fail)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        run_job(job_id)
        return
    try:
        route = {}
        if settings.JOB_QUEUES:
            kind, county_id = Job.objects.values_list("kind", "county_id").get(pk=job_id)
            route["queue"] = queues.queue_for(kind, county_id)
        current_app.send_task(RUN_TASK, args=[job_id], countdown=countdown, **route)
    except Exception:
        logger.warning("Job %s stays queued: the broker cannot be reached", job_id, exc_info=True)


def report_progress(job_id, percent, message):
    """Progress of a running job, where the polling page reads it (see the module)."""
    cache.set(
        PROGRESS_KEY.format(job_id),
        {"progress": max(0, min(100, int(percent))), "message": str(message)[:500]},
        PROGRESS_SECONDS,
    )


def job_progress(job):
    """(percent, message) as the page shows them: the cache's while the job runs."""
    if not job.is_finished:
        reported = cache.get(PROGRESS_KEY.format(job.pk))
        if reported:
            return reported["progress"], reported["message"]
    return job.progress, job.message


def run_job(job_id):
    """Run a queued job (SPEC §5: idempotent, safe to retry). A finished job is left as
    it is, and so is one another live run holds; a job found running with nobody
    holding it is run again (its worker died). Returns the job, or None if there was
    nothing to run."""
    with run_lock(job_id) as held:
        if not held:
            return None
        claimed = Job.objects.filter(
            pk=job_id, state__in=(JobState.QUEUED, JobState.RUNNING)
        ).update(
            state=JobState.RUNNING,
            progress=0,
            message=_("正在处理"),
            started_at=timezone.now(),
            version=F("version") + 1,
        )
        if not claimed:
            return None
        job = Job.objects.select_related("requested_by").get(pk=job_id)
        work = WORK[job.kind]
        try:
            message, result = work.run(job)
        except ValidationError as exc:
            finish(job, JobState.FAILED, "；".join(exc.messages), {})
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            finish(job, JobState.FAILED, str(work.failed), {})
        else:
            finish(job, JobState.DONE, message, result)
        return job


def finish(job, state, message, result):
    """Record how the run ended — only if this run still holds the job (its claim's
    version): a vanished run that comes back never overwrites a later one's result.
    `job.cycle_id` and `job.county_id` are saved too (an import learns its cycle)."""
    job.state, job.message, job.result = state, str(message)[:500], result
    job.progress = 100 if state == JobState.DONE else job.progress
    job.finished_at = timezone.now()
    fields = ("state", "message", "result", "progress", "finished_at", "cycle_id", "county_id")
    held = Job.objects.filter(pk=job.pk, version=job.version).update(
        version=F("version") + 1, **{field: getattr(job, field) for field in fields}
    )
    if not held:
        return False
    job.version += 1
    cache.delete(PROGRESS_KEY.format(job.pk))
    notices.job_finished(job)
    work = WORK.get(job.kind)
    if work is not None and work.after_finish is not None:
        work.after_finish(job)
    return True


# ------------------------------------------------------------------ the run's lock


def _locks():
    return connection.vendor == "postgresql"


@contextmanager
def run_lock(job_id):
    """Hold the job's run lock while the block runs; yields whether it was free (always
    True where there are no advisory locks: SQLite runs jobs in-process)."""
    if not _locks():
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_SPACE, job_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_SPACE, job_id])


def run_is_alive(job_id):
    """Whether a live process runs the job: True or False on PostgreSQL (its run lock is
    held or free), None where that cannot be told."""
    if not _locks():
        return None
    with run_lock(job_id) as free:
        return not free
