"""Recomputation jobs (SPEC §5, DESIGN §3).

Every change to a cycle's inputs schedules `recompute_cycle` once the change commits.
With a broker, changes arriving while a job is queued share that job; a job whose
inputs changed while it computed discards its version and runs again. Without a broker
(the demo) the job runs in-process right after the commit.
"""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from assessment.models import Cycle
from scoring.services import compute_cycle

PENDING_KEY = "scoring:recompute-pending:{}"
PENDING_SECONDS = 300


@shared_task(bind=True, max_retries=10, acks_late=True)
def recompute_cycle(self, cycle_id):
    """Compute and swap in the cycle's results; idempotent and safe to retry: a job killed
    halfway leaves the previous version current."""
    cache.delete(PENDING_KEY.format(cycle_id))
    try:
        version = compute_cycle(cycle_id)
    except Cycle.DoesNotExist:
        return None  # deleted meanwhile: nothing to compute
    if version is None:
        # Inputs changed meanwhile: compute again from the newer inputs.
        raise self.retry(countdown=1)
    return version.pk if version else None


def schedule_recompute(cycle_id):
    """Queue one recompute for the cycle (listener of `mark_inputs_changed`)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        compute_cycle(cycle_id)
        return
    if cache.add(PENDING_KEY.format(cycle_id), 1, PENDING_SECONDS):
        recompute_cycle.apply_async((cycle_id,), countdown=1)
