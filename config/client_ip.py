"""The client's address as django-axes counts lockouts by it.

Behind PROXY_COUNT trusted reverse proxies, the client is the entry that the outermost
trusted proxy appended to X-Forwarded-For; anything further left could be forged by the
client itself. Without proxies, REMOTE_ADDR.
"""

from django.conf import settings


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if not count:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-count] if len(forwarded) >= count else remote
