"""/healthz: is this instance able to serve? For load balancers and monitoring.

200 when the database answers; 503 when it does not. A configured broker that does not
answer makes the status "degraded" but still 200: pages work, only background jobs wait.
"""

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app as celery_app


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not serving"; the reason goes out
        return f"error: {exc.__class__.__name__}"
    return "ok"


def check_broker():
    try:
        with celery_app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # any failure of the broker is reported, not raised
        return f"error: {exc.__class__.__name__}"
    return "ok"


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
