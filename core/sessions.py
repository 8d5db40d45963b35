"""Idle sessions without a write per request.

A signed-in session ends SESSION_IDLE_MINUTES after its last request (settings). Django
would write the session row on every request to move that end (SESSION_SAVE_EVERY_REQUEST);
here it is renewed once at least `RENEW_SECONDS` of the idle clock have run, so the end
moves at most that much earlier, and a busy user costs one write a minute instead of one
per click. A session with nobody signed in — a stranger's made-up cookie, a
token-authenticated API call, the health check — is never written.
"""

import time

from django.contrib.auth import SESSION_KEY

RENEW_SECONDS = 60
RENEWED = "_renewed_at"


class SessionRenewalMiddleware:
    """Placed right after Django's SessionMiddleware, which saves what this marks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.get(SESSION_KEY):
            now = int(time.time())
            if now - session.get(RENEWED, 0) >= RENEW_SECONDS:
                session[RENEWED] = now  # modified: saved with a new expiry
        return response
