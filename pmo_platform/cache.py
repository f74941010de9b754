"""Redis cache that fails open: while Redis is briefly down, a cache read is a miss and a write
is skipped, so logins (allauth's rate limits) and pages keep working. Task publishing has its own
safety net, the outbox."""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _fail_open(name, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(ResilientRedisCache, self), name)(*args, **kwargs)
        except UNAVAILABLE as exc:
            logger.warning("cache unavailable, %s skipped: %s", name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class ResilientRedisCache(RedisCache):
    get = _fail_open("get", _default)
    get_many = _fail_open("get_many", {})
    has_key = _fail_open("has_key", False)
    # add() reports "stored": failing open lets a one-time-code check pass rather than lock
    # everyone out while Redis is down.
    add = _fail_open("add", True)
    set = _fail_open("set", None)
    set_many = _fail_open("set_many", [])
    touch = _fail_open("touch", False)
    delete = _fail_open("delete", False)
    delete_many = _fail_open("delete_many", None)
    incr = _fail_open("incr", lambda key, delta=1, *a, **k: delta)
    decr = _fail_open("decr", lambda key, delta=1, *a, **k: -delta)
    clear = _fail_open("clear", None)


def redis_client(cache):
    """The cache's redis client for commands of our own (pmo_platform.ratelimit's pipeline),
    made once per cache object: django's `get_client()` builds a new client, with its table of
    response callbacks, on every call. It shares the cache's connection pool."""
    client = cache.__dict__.get("_pmo_redis_client")
    if client is None:
        client = cache.__dict__["_pmo_redis_client"] = cache._cache.get_client(write=True)
    return client
