"""Rate limits counted in one Redis round trip: every counter of a request (e.g. the survey
autosave's per link and per client address) in one pipeline, where django-ratelimit's
`is_ratelimited` takes two round trips per counter (add, then incr). Fixed windows; a counter
lives in the default cache's Redis under its key prefix. While Redis is unavailable nothing is
refused (fails open, like `pmo_platform.cache`)."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.core.cache import caches

from .cache import UNAVAILABLE, redis_client

logger = logging.getLogger(__name__)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Limit:
    group: str
    key: str  # the counted value: a personal link, a client address
    rate: str  # "120/m", "30/h", "10/5m"


def parse_rate(rate: str) -> tuple[int, int]:
    """(requests allowed, window in seconds) of "120/m", "30/h", "10/5m"."""
    count, _slash, per = rate.partition("/")
    return int(count), int(per[:-1] or "1") * _UNITS[per[-1]]


def hit(*limits: Limit, cache_alias: str = "default") -> bool:
    """Count one request against every limit; True when any of them is over."""
    cache = caches[cache_alias]
    now = int(time.time())
    keys, allowed = [], []
    for limit in limits:
        count, period = parse_rate(limit.rate)
        digest = hashlib.sha256(limit.key.encode()).hexdigest()
        window = now - now % period
        keys.append((cache.make_and_validate_key(f"rl:{limit.group}:{digest}:{window}"), period))
        allowed.append(count)
    try:
        pipe = redis_client(cache).pipeline(transaction=False)
        for key, period in keys:
            pipe.set(key, 0, ex=period + 1, nx=True)
            pipe.incr(key)
        counts = pipe.execute()[1::2]
    except UNAVAILABLE as exc:
        logger.warning("cache unavailable, rate limit skipped: %s", exc)
        return False
    return any(count > limit for count, limit in zip(counts, allowed, strict=True))
