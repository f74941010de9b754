"""Token buckets in the shared Redis, so every worker process spends the same budget (a firm's
email send rate). A bucket holds at most one second's worth of tokens (at least one) and refills
continuously at `per_minute / 60` per second, by Redis's own clock, so workers on several
hosts agree. While Redis cannot be reached the bucket grants everything (fails open, like the
cache): a send rate is a courtesy to mail servers, not a guarantee of the delivery rule."""

from __future__ import annotations

import logging

from django.core.cache import cache

from .cache import UNAVAILABLE

logger = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: tokens per second, capacity, tokens wanted.
# Returns {granted, seconds until the next token (a string)}.
_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local granted = math.min(want, math.floor(tokens))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
local wait = 0
if granted < want then
  wait = (1 - (tokens - math.floor(tokens))) / rate
end
return {granted, tostring(wait)}
"""


def take(name: str, *, per_minute: int, count: int) -> tuple[int, float]:
    """Take up to `count` tokens from bucket `name` refilling at `per_minute`: how many were
    granted, and (when fewer than asked) the seconds until the next one."""
    if count <= 0:
        return 0, 0.0
    rate = max(1, per_minute) / 60
    capacity = max(1, int(rate))
    try:
        client = cache._cache.get_client(write=True)
        granted, wait = client.eval(
            _TAKE, 1, cache.make_key(f"sendrate:{name}"), rate, capacity, count
        )
    except UNAVAILABLE as exc:
        logger.warning("send-rate bucket unavailable, not limiting: %s", exc)
        return count, 0.0
    return int(granted), float(wait)
