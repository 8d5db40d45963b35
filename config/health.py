"""/healthz: is this instance able to serve? For load balancers and monitoring.

200 when the database answers; 503 when it does not. A configured broker that does not
answer makes the status "degraded" but still 200: pages work, only background jobs wait.
The broker's answer is kept for a few seconds, so frequent probes cannot tie up the
workers; details of failures go to the log, not to the anonymous caller.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app

log = logging.getLogger(__name__)
BROKER_STATUS_SECONDS = 15


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "not serving"
        log.exception("health check: database unreachable")
        return "error"
    return "ok"


# This process's last broker answer: (monotonic time, status). Kept in memory, not in
# the cache, because the cache itself may live in the Redis being checked.
_broker_answer = [float("-inf"), None]


def check_broker():
    checked_at, cached = _broker_answer
    if cached is not None and time.monotonic() - checked_at < BROKER_STATUS_SECONDS:
        return cached
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        status = "ok"
    except Exception:  # any failure of the broker is reported, not raised
        log.exception("health check: broker unreachable")
        status = "error"
    _broker_answer[:] = [time.monotonic(), status]
    return status


@never_cache
@require_GET
@transaction.non_atomic_requests
def healthz(request):
    body = {"database": check_database()}
    if settings.CELERY_BROKER_URL:
        body["broker"] = check_broker()
    if body["database"] != "ok":
        body["status"] = "error"
        return JsonResponse(body, status=503)
    body["status"] = "ok" if all(v == "ok" for v in body.values()) else "degraded"
    return JsonResponse(body)
