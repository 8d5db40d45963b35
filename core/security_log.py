"""The security log (DESIGN §4): one line per event that whoever watches for misuse needs
— sign-ins, lockouts, refusals, exports, imports, cycle moves, bulletin issues, voided
ballot batches — on the logger named `security`. docs/operations.md lists every event
and its fields.

A line is `key=value` pairs (logfmt): `event`, `user` (the user name of whoever is signed
in, acting), `user_id`, `ip` (`core.client_ip`) and `at` (local time, ISO 8601 with its
offset) first, then the event's own fields. A bare `-` means none. A value that is not
plain is written in double quotes, with `\\`, `"` and every non-printable character
escaped (`\\n`, `\\u2028`…), so nothing a person typed — a user name, a file name, a
reason — can add a field or begin another line. Secrets (passwords, ballot tokens,
session keys, API tokens) are never given to it.

A line is written once the transaction it happened in commits: a publication rolled back
was never made. Services call `security_event` where the event happens; they know who
acts but not the request, so `SecurityLogMiddleware` holds the request of the moment for
the address, and writes the `denied` lines itself.
"""

import logging
import re
from contextvars import ContextVar
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.client_ip import client_ip

logger = logging.getLogger("security")

_current_request = ContextVar("security_log_request", default=None)

PLAIN = re.compile(r"[^\s\"=\\]+")
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
DENIED_STATUSES = (403, 404)


def _escaped(char):
    if char in ESCAPES:
        return ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _formatted(value):
    """A value as the line writes it: `-` for None, bare when plain, else quoted."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    # A real value "-" is quoted, so it never reads as "none".
    if text != "-" and text.isprintable() and PLAIN.fullmatch(text):
        return text
    return '"' + "".join(_escaped(char) for char in text) + '"'


def security_event(action, *, user=None, request=None, level=logging.INFO, **fields):
    """Log one security event. `user` is who acts (by default whoever is signed in on
    `request`); the address is `request`'s, or that of the request being answered."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if request is None:
        request = _current_request.get()
    signed_in = user is not None and user.is_authenticated
    pairs = {
        "event": action,
        "user": user.get_username() if signed_in else None,
        "user_id": user.pk if signed_in else None,
        "ip": (client_ip(request) or None) if request is not None else None,
        "at": timezone.localtime().isoformat(timespec="milliseconds"),
        **fields,
    }
    line = " ".join(f"{key}={_formatted(value)}" for key, value in pairs.items())
    transaction.on_commit(partial(logger.log, level, line))


class SecurityLogMiddleware:
    """Keeps the request at hand for the events the services log while answering it, and
    logs every 403 and 404 answered to someone signed in (session or API token), as
    `denied`: scope answers 404 for what is outside it (DESIGN §4), so a run of them is
    someone probing. Anonymous 404s are stray links and scanners, not logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        held = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(held)
        # Read after the view: the API's token authentication sets the user there.
        user = getattr(request, "user", None)
        if response.status_code in DENIED_STATUSES and user is not None and user.is_authenticated:
            security_event(
                "denied",
                request=request,
                status=response.status_code,
                method=request.method,
                path=_logged_path(request, response),
            )
        return response


def keep_path_secret(response):
    """Marks an answer whose path is a secret (a ballot link's token): a `denied` line
    then names the URL pattern instead."""
    response.path_is_secret = True
    return response


def _logged_path(request, response):
    if getattr(response, "path_is_secret", False):
        match = request.resolver_match
        return "/" + match.route if match is not None else None
    return request.path


def logged_in(sender, request, user, **kwargs):
    security_event("login", user=user, request=request)


def login_failed(sender, credentials, request=None, **kwargs):
    # The user name tried, as typed; Django has already masked the password.
    security_event(
        "login_failed",
        request=request,
        username=credentials.get(get_user_model().USERNAME_FIELD),
    )


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        security_event("logout", user=user, request=request)
