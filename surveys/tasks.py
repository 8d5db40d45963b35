"""The hourly ballot release (`surveys.ballots.pool`), started by django-celery-beat (the
`PeriodicTask` made by migration surveys 0004, editable in the admin)."""

from celery import shared_task

from surveys.ballots import pool


@shared_task(acks_late=True, reject_on_worker_lost=True)
def release_ballots():
    """Move the finished days' pooled ballots to the ballot table; run twice, it moves
    nothing more (one transaction each time)."""
    return pool.release_ballots()
