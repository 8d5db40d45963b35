"""The answer to a request that failed (DESIGN §6): a database that cannot be reached
(restarting, overloaded, a lock that timed out) is a moment's unavailability, answered
503 with `Retry-After` and a page that says nothing was saved — every request runs in
one transaction (ATOMIC_REQUESTS), so nothing was — rather than the 500 of a fault. Once
the database is back, the next request reconnects by itself (CONN_HEALTH_CHECKS).

Django calls `server_error` while the exception is being handled; the error pages are
plain templates that read nothing from the database."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def database_unavailable(error):
    return isinstance(error, (OperationalError, InterfaceError))


def server_error(request):
    """handler500: 503 for a database that cannot be reached (see the module), else 500."""
    if not database_unavailable(sys.exc_info()[1]):
        return HttpResponseServerError(loader.render_to_string("500.html"))
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": _("系统暂时无法连接数据库，本次操作没有保存，请稍后重试。")}, status=503
        )
    else:
        response = HttpResponseServerError(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def api_not_found():
    """The API's 404, as every API view answers it (core.api.exception_handler)."""
    return JsonResponse({"detail": _("不存在，或不在您的管理范围内。")}, status=404)


def page_not_found(request, exception):
    """handler404: under /api/ a path no route matches (`/api/v1/cycles/1.5/`, a
    misspelt collection) answers the API's JSON 404, which the schema documents for
    every operation on a record; elsewhere the product's page."""
    if request.path.startswith("/api/"):
        return api_not_found()
    return defaults.page_not_found(request, exception)
