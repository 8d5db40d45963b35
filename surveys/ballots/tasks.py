"""The slips job's transport (DESIGN §5): the batch's row is the record, Celery only
carries its id. Without a broker (the demo) the job runs in-process right after the
request that issued the batch commits."""

from celery import shared_task
from django.conf import settings

from surveys.ballots import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def make_slips(batch_id):
    """Make a batch's tokens and slips PDF (`surveys.ballots.services.make_slips`):
    idempotent, so a redelivered message after a lost worker is safe."""
    return services.make_slips(batch_id)


def enqueue_slips(batch_id):
    """Hand the batch's slips to a worker; call once the batch's row is committed."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        services.make_slips(batch_id)
        return
    make_slips.delay(batch_id)
