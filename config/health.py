"""/healthz: is this instance able to serve? For load balancers and monitoring.

200 when the database answers; 503 when it does not. A configured broker or Redis cache
that does not answer makes the status "degraded" but still 200: pages work (the cache
answers as an empty one, core/cache.py), background jobs wait. Their answers are kept
for a few seconds, so frequent probes cannot tie up the workers; details of failures go
to the log, not to the anonymous caller.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app
from core.cache import ResilientRedisCache, cache_status

log = logging.getLogger(__name__)
STATUS_SECONDS = 15


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not serving"
        log.exception("health check: database unreachable")
        return "error"
    return "ok"


# This process's last answers: {name: (monotonic time, status)}. Kept in memory, not in
# the cache, because the cache itself may live in the Redis being checked.
_answers = {}


def _kept(name, check):
    checked_at, status = _answers.get(name, (float("-inf"), None))
    if status is None or time.monotonic() - checked_at >= STATUS_SECONDS:
        status = check()
        _answers[name] = (time.monotonic(), status)
    return status


def _check_broker():
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:  # any failure of the broker is reported, not raised
        log.exception("health check: broker unreachable")
        return "error"
    return "ok"


def check_broker():
    return _kept("broker", _check_broker)


def _check_cache():
    status = cache_status(caches["default"])
    if status != "ok":
        log.warning("health check: cache (Redis) unreachable")
    return status


def check_cache():
    return _kept("cache", _check_cache)


@never_cache
@require_GET
@transaction.non_atomic_requests
def healthz(request):
    body = {"database": check_database()}
    if settings.CELERY_BROKER_URL:
        body["broker"] = check_broker()
    if isinstance(caches["default"], ResilientRedisCache):
        body["cache"] = check_cache()
    if body["database"] != "ok":
        body["status"] = "error"
        return JsonResponse(body, status=503)
    body["status"] = "ok" if all(v == "ok" for v in body.values()) else "degraded"
    return JsonResponse(body)
