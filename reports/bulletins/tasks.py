"""The schedule's side of bulletins (DESIGN §5): each morning, a generating job for every
quarter that ended the day before. The `PeriodicTask` running it is installed by a data
migration (`reports/migrations/0002_bulletins.py`) and editable in the admin."""

from celery import shared_task
from django.utils import timezone

from reports.bulletins import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_due_bulletins():
    """Idempotent: a quarter already given its scheduled job is skipped."""
    return [job.pk for job in services.generate_due(timezone.localdate())]
