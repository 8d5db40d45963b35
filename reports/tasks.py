"""Job transport (DESIGN §5): the row in `reports.models.Job` is the record, Celery only
carries its id (`reports.jobs.running.enqueue`). Without a broker (the demo) the job
runs in-process right after the request that queued it commits."""

from celery import shared_task

from reports.backups import services as backups
from reports.bulletins.tasks import generate_due_bulletins
from reports.jobs import running, sweeper

# Found by the worker's autodiscovery, which imports `<app>.tasks` only.
__all__ = ["backup", "generate_due_bulletins", "run_job", "sweep"]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id):
    """Run one job (`reports.jobs.running.run_job`): idempotent, so a redelivered message after
    a lost worker is safe."""
    job = running.run_job(job_id)
    return job.state if job else None


@shared_task(acks_late=True)
def sweep():
    """The sweeper (`reports.jobs.sweeper`), every five minutes by the schedule."""
    requeued, failed, recomputed = sweeper.sweep_jobs()
    return {"requeued": requeued, "failed": failed, "recomputed": recomputed}


@shared_task(acks_late=True)
def backup():
    """The nightly backup (`reports.backups`), daily at 02:30 by the schedule: it starts
    the job, which a worker then runs like any other."""
    return backups.start_scheduled_backup().pk
