"""The Celery app. Tasks live in each app's tasks.py and are found by autodiscovery.

Without CELERY_BROKER_URL the settings make every task run eagerly in-process, so the
demo (`make run`) needs no broker and no worker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
