"""Login lockouts (DESIGN §1 auth, §4): two locks, one lock page.

django-axes locks a user name at one address after LOGIN_FAILURE_LIMIT failures. On its
own that lets one address try a password against every user name (password spraying);
axes can count the address as a lockout parameter too, but against the same small limit,
which would lock a whole office behind one address after a few typos. So the address
gets its own, higher limit here: once the failures from one address, over all user
names, within the cool-off reach LOGIN_ADDRESS_FAILURE_LIMIT, every login from it is
refused until enough of them have aged out of the cool-off.
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.conf import settings
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.db.models import Sum
from django.shortcuts import render

from core.security_log import security_event


def address_failures(request):
    """Failed logins from the request's address within the cool-off, any user name."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _log_lockout(request, credentials, scope, failures, limit):
    # One line per new lock, for whoever watches the logs for attacks.
    security_event(
        "login_locked",
        request=request,
        level=logging.WARNING,
        scope=scope,
        username=get_client_username(request, credentials),
        failures=failures,
        limit=limit,
        cooloff_minutes=int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    )


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler (the lock per user name and address) plus the lock per
    address across user names."""

    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.login_locked_by_address = True
            return True
        return False

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        # A request refused by a lock is not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_
        # LOCKOUT): it must neither count again here nor be logged as a new lock.
        already_locked = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or already_locked:
            return
        if request.axes_locked_out:
            _log_lockout(
                request,
                credentials,
                "username+address",
                request.axes_failures_since_start,
                settings.AXES_FAILURE_LIMIT,
            )
            return
        failures = address_failures(request)
        if failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            request.login_locked_by_address = True
            _log_lockout(
                request, credentials, "address", failures, settings.LOGIN_ADDRESS_FAILURE_LIMIT
            )
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


def lockout_response(request, original_response=None, credentials=None):
    """The lock page, naming the lock that holds and its limit."""
    by_address = getattr(request, "login_locked_by_address", False)
    context = {
        "by_address": by_address,
        "failure_limit": (
            settings.LOGIN_ADDRESS_FAILURE_LIMIT if by_address else settings.AXES_FAILURE_LIMIT
        ),
        "cooloff_timedelta": settings.AXES_COOLOFF_TIME,
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
