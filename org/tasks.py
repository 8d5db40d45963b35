"""The org app's Celery tasks, where the worker's autodiscovery (`<app>.tasks`) finds
them."""

from org.notifications.tasks import send_emails, send_reminders

__all__ = ["send_emails", "send_reminders"]
