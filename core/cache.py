"""The cache in Redis, degraded rather than broken when Redis is down (DESIGN §5, §6).

The cache holds nothing that is not also elsewhere: job progress for the polling pages,
counts kept for a moment, the residents' guess and throttle counters. When Redis cannot
be reached every request would otherwise fail with it — the ballot pages included. Here a
failed operation answers as an empty cache would (a miss; a write that is dropped; an
`add` that succeeds, so nobody waits for a lock that cannot be kept), the outage is
logged once per `RETRY_SECONDS`, and Redis is not asked again until then, so a host that
does not answer costs one timeout per interval, not one per call. Rate limits are
therefore off for the duration (they fail open; the log says so). `/healthz` reports the
cache (`cache_status`)."""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5


class _Outage:
    """When Redis last failed, per process; asked again once `RETRY_SECONDS` have run."""

    failed_at = None

    @classmethod
    def skipping(cls):
        return cls.failed_at is not None and time.monotonic() - cls.failed_at < RETRY_SECONDS

    @classmethod
    def failed(cls, error):
        if not cls.skipping():
            logger.warning(
                "Cache (Redis) unreachable, working without it for %ss: caches are missed "
                "and rate limits are off meanwhile (%s)",
                RETRY_SECONDS,
                error,
            )
        cls.failed_at = time.monotonic()

    @classmethod
    def answered(cls):
        if cls.failed_at is not None:
            logger.warning("Cache (Redis) reachable again")
        cls.failed_at = None


def _degraded(fallback):
    """The client method, answering `fallback(*args)` while Redis is down."""

    def wrap(method):
        def call(self, *args, **kwargs):
            if _Outage.skipping():
                return fallback(*args)
            try:
                answer = method(self, *args, **kwargs)
            except RedisError as error:
                _Outage.failed(error)
                return fallback(*args)
            if _Outage.failed_at is not None:
                _Outage.answered()
            return answer

        return call

    return wrap


def _missing_key(key, *_args):
    raise ValueError(f"Key '{key}' not found.")


class ResilientRedisCacheClient(RedisCacheClient):
    add = _degraded(lambda *_: True)(RedisCacheClient.add)
    get = _degraded(lambda _key, default: default)(RedisCacheClient.get)
    set = _degraded(lambda *_: None)(RedisCacheClient.set)
    touch = _degraded(lambda *_: False)(RedisCacheClient.touch)
    delete = _degraded(lambda *_: False)(RedisCacheClient.delete)
    get_many = _degraded(lambda *_: {})(RedisCacheClient.get_many)
    has_key = _degraded(lambda *_: False)(RedisCacheClient.has_key)
    incr = _degraded(_missing_key)(RedisCacheClient.incr)
    set_many = _degraded(lambda *_: [])(RedisCacheClient.set_many)
    delete_many = _degraded(lambda *_: None)(RedisCacheClient.delete_many)
    clear = _degraded(lambda *_: False)(RedisCacheClient.clear)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache with `ResilientRedisCacheClient` (see the module)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient


def cache_status(cache):
    """ "ok" when the cache answers, "error" when it does not (for /healthz)."""
    if isinstance(cache, ResilientRedisCache):
        try:
            cache._cache.get_client(write=True).ping()
        except RedisError:
            return "error"
    return "ok"
