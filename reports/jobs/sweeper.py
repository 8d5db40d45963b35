"""The sweeper (DESIGN §5), run every few minutes by the schedule
(`reports.tasks.sweep`): nothing stays stuck when a worker or the broker fails.

- A job whose worker is gone is handed to a worker again — its work is idempotent and
  done in one transaction, so running it again is safe — at most `MAX_REQUEUES` times.
  Gone means: running with its run lock free (PostgreSQL: the process died), running
  for `REQUEUE_RUNNING_AFTER` where that cannot be told, or queued for
  `REQUEUE_QUEUED_AFTER` (its message never reached a worker: the broker was down or
  lost it). A job still unfinished after `ABANDONED_AFTER` is failed.
- Every cycle whose results are stale and that has no recompute queued or running gets
  one (unless its latest failed on the very same inputs).
- Workbooks of previews no longer confirmable are deleted; finished recomputes older
  than `RECOMPUTES_KEPT` are forgotten (there is one per burst of changes).
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.jobs import imports, recompute, running
from reports.models import FINISHED_STATES, Job, JobKind, JobState
from scoring.services import stale_cycles

ABANDONED_AFTER = timedelta(hours=6)
REQUEUE_QUEUED_AFTER = timedelta(minutes=5)
REQUEUE_RUNNING_AFTER = timedelta(minutes=30)
MAX_REQUEUES = 3
RECOMPUTES_KEPT = timedelta(days=2)


def sweep_jobs(now=None):
    """One sweep (see the module). Returns (requeued ids, failed ids, cycle ids whose
    recompute it queued)."""
    now = now or timezone.now()
    failed = _fail_abandoned(now)
    requeued = []
    for job in _vanished(now):
        if int(job.options.get("requeued", 0)) >= MAX_REQUEUES:
            message = _("任务多次中断，未完成。请重新发起；如仍失败，请联系系统管理员。")
            if running.finish(job, JobState.FAILED, message, {}):
                failed.append(job.pk)
        elif _requeue(job, now):
            requeued.append(job.pk)
    recomputed = _recompute_stale()
    imports.discard_expired_previews(now)
    Job.objects.filter(
        kind=JobKind.RECOMPUTE, state__in=FINISHED_STATES, finished_at__lt=now - RECOMPUTES_KEPT
    ).delete()
    return requeued, failed, recomputed


def _fail_abandoned(now):
    failed = []
    unfinished = Job.objects.exclude(state__in=FINISHED_STATES)
    for job in unfinished.filter(created_at__lt=now - ABANDONED_AFTER):
        if running.finish(job, JobState.FAILED, str(running.WORK[job.kind].abandoned), {}):
            failed.append(job.pk)
    return failed


def _vanished(now):
    """The unfinished jobs whose worker is gone (see the module)."""
    recent = Job.objects.exclude(state__in=FINISHED_STATES).filter(
        created_at__gte=now - ABANDONED_AFTER
    )
    lost_messages = recent.filter(state=JobState.QUEUED, queued_at__lt=now - REQUEUE_QUEUED_AFTER)
    vanished = list(lost_messages)
    for job in recent.filter(state=JobState.RUNNING):
        alive = running.run_is_alive(job.pk)
        if alive is False or (alive is None and job.started_at < now - REQUEUE_RUNNING_AFTER):
            vanished.append(job)
    return vanished


def _requeue(job, now):
    """Queue the job again, as a new version: the vanished run, should it come back,
    cannot finish it. A recompute that would make a second one waiting for its cycle is
    closed instead (the waiting one does its work)."""
    options = {**job.options, "requeued": int(job.options.get("requeued", 0)) + 1}
    try:
        with transaction.atomic():
            moved = Job.objects.filter(pk=job.pk, version=job.version).update(
                state=JobState.QUEUED,
                options=options,
                message=_("处理进程中断，已重新排队"),
                queued_at=now,
                version=F("version") + 1,
            )
    except IntegrityError:
        running.finish(job, JobState.DONE, _("已由排队中的计算接替。"), {"superseded": True})
        return False
    if moved:
        transaction.on_commit(lambda: running.enqueue(job.pk))
    return bool(moved)


def _recompute_stale():
    stale = stale_cycles()
    if not stale:
        return []
    busy = recompute.waiting_or_running([pk for pk, _version in stale])
    hopeless = recompute.failed_on_these_inputs(stale)
    queued = []
    for cycle_id, _version in stale:
        if cycle_id in busy or cycle_id in hopeless:
            continue
        if recompute.schedule_recompute(cycle_id) is not None:
            queued.append(cycle_id)
    return queued
