"""The org app's Celery tasks, where the worker's autodiscovery (`<app>.tasks`) finds
them: notifications, and the nightly housekeeping of sign-in records."""

from importlib import import_module

from axes.handlers.proxy import AxesProxyHandler
from celery import shared_task
from django.conf import settings

from org.notifications.tasks import send_emails, send_reminders

__all__ = ["housekeeping", "send_emails", "send_reminders"]

# How long the login access log (django-axes: who signed in, from where) is kept.
ACCESS_LOG_DAYS = 90


@shared_task(acks_late=True)
def housekeeping():
    """Nightly (the `PeriodicTask` made by migration org 0006): expired sessions deleted
    (Django keeps them until asked, as `clearsessions` does), login access records
    older than `ACCESS_LOG_DAYS` trimmed. Returns how many access records went."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return AxesProxyHandler.reset_logs(age_days=ACCESS_LOG_DAYS)
