"""The surveys app's Celery tasks, where the worker's autodiscovery looks (`<app>.tasks`);
each feature keeps its own in its package."""

from surveys.ballots.tasks import make_slips

__all__ = ["make_slips"]
