"""Job transport (DESIGN §5): the row in `reports.models.Job` is the record, Celery only
carries its id. Without a broker (the demo) the job runs in-process right after the
request that queued it commits."""

import logging

from celery import shared_task
from django.conf import settings

from reports import jobs
from reports.bulletins.tasks import generate_due_bulletins

logger = logging.getLogger(__name__)

# Found by the worker's autodiscovery, which imports `<app>.tasks` only.
__all__ = ["enqueue", "generate_due_bulletins", "run_job", "sweep"]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id):
    """Run one job (`reports.jobs.run_job`): idempotent, so a redelivered message after
    a lost worker is safe."""
    job = jobs.run_job(job_id)
    return job.state if job else None


def enqueue(job_id):
    """Hand the job to a worker; call once the job's row is committed. When the broker
    cannot be reached the job stays queued and the sweeper hands it over later (the
    request that asked for it does not fail)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        jobs.run_job(job_id)
        return
    try:
        run_job.delay(job_id)
    except Exception:
        logger.warning("Job %s stays queued: the broker cannot be reached", job_id, exc_info=True)


@shared_task(acks_late=True)
def sweep():
    """The sweeper (`reports.jobs.sweep_jobs`), every five minutes by the schedule."""
    requeued, failed = jobs.sweep_jobs()
    return {"requeued": requeued, "failed": failed}
