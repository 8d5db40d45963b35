"""The client's address as django-axes counts lockouts by it.

X-Forwarded-For is believed only from a reverse proxy listed in TRUSTED_PROXIES
(addresses or networks): then the client is the rightmost address in the header that is
not itself a trusted proxy. Anyone connecting directly is known by REMOTE_ADDR, whatever
header they send, so a lockout cannot be dodged by forging one.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _networks(proxies):
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request):
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if not _is_trusted(address):
            return address
    return remote
