"""Notification transport (DESIGN §5): e-mails after the commit that stored their
notifications, and the daily reminder job that django-celery-beat starts (the
`PeriodicTask` made by migration org 0005, editable in the admin)."""

from celery import shared_task
from django.utils import timezone

from org.notifications import services

# The beat entry's name, as the data migration made it.
REMINDER_TASK_NAME = "通知：每日提醒"


# A mail server that is down (smtplib's errors are OSErrors) is tried again a few times;
# what was sent before the failure is not sent again.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=3,
)
def send_emails(notification_ids):
    """E-mail each notification; idempotent (each is sent once, `emailed_at`)."""
    return sum(services.send_email(pk) for pk in notification_ids)


def enqueue_emails(notification_ids):
    """Hand the e-mails to a worker (or, without a broker, send them now)."""
    send_emails.delay(notification_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminders():
    """The day's reminders; run twice, it stores nothing new."""
    return services.send_reminders(timezone.localdate())
