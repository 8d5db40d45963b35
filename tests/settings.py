"""Settings for the test suite: production settings, served over plain HTTP.

Tests talk to the app over http://testserver and a local live server, so HTTPS-only
behaviour is off here; `tests/platform/test_deploy_check.py` checks the production
settings themselves with `check --deploy`. Static files are found in place (no
collectstatic run) and served by WhiteNoise for the browser tests.
"""

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
