"""Settings for the test suite: production settings, served over plain HTTP.

Tests talk to the app over http://testserver and a local live server, so HTTPS-only
behaviour is off here; `tests/platform/test_deploy_check.py` checks the production
settings themselves with `check --deploy`. Static files are found in place (no
collectstatic run) and served by WhiteNoise for the browser tests.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import STORAGES

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Recomputation after a change runs in-process right after the commit, as in the demo;
# tests/scoring/test_recompute_worker.py runs the real worker against the real broker.
CELERY_TASK_ALWAYS_EAGER = True

# Throwaway test data needs no durability: commits return before the WAL reaches disk.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"  # noqa: F405

# Under pytest-xdist every worker has its own database (pytest-django) and, here, its
# own Redis databases: a worker clearing its cache before each test, or running a real
# Celery worker, must not touch another's (cache: db 2 + n, broker: db 8 + n).
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _WORKER.startswith("gw"):
    _n = int(_WORKER.removeprefix("gw"))
    if CACHE_URL.startswith("redis"):  # noqa: F405
        CACHE_URL = f"{CACHE_URL.rsplit('/', 1)[0]}/{2 + _n}"  # noqa: F405
        CACHES["default"]["LOCATION"] = CACHE_URL  # noqa: F405
    if CELERY_BROKER_URL.startswith("redis"):  # noqa: F405
        CELERY_BROKER_URL = f"{CELERY_BROKER_URL.rsplit('/', 1)[0]}/{8 + _n}"  # noqa: F405
        # Celery reads CELERY_BROKER_URL from the environment before the settings: without
        # this, every worker's tasks would meet on the one broker and the workers of
        # parallel tests would run each other's (against the wrong database).
        os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL
