"""Celery app: configured from settings; tasks run eagerly when no broker is set."""

import os
import subprocess
import sys

from django.conf import settings

from config.celery import app


def settings_in_a_fresh_process(**env):
    code = (
        "import django; django.setup();"
        "from config.celery import app;"
        "print(app.conf.task_always_eager, app.conf.broker_url or '')"
    )
    full_env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    full_env.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.split()


def test_without_a_broker_tasks_run_in_process():
    assert settings_in_a_fresh_process() == ["True"]


def test_with_a_broker_tasks_go_to_it():
    eager, url = settings_in_a_fresh_process(CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert (eager, url) == ("False", "redis://127.0.0.1:6379/0")


def test_the_app_reads_the_django_settings():
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    assert app.main == "config"
