"""Fixed-window request counters in the shared cache (Redis), so every web process counts the
same requests. A window is `window` seconds long and aligned to the clock."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int  # seconds until the window ends


def hit(name: str, *, limit: int, window: int) -> Verdict:
    now = int(time.time())
    start = now - now % window
    key = f"api-rate:{name}:{start}"
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a fresh window
            cache.add(key, 1, timeout=window + 1)
            count = 1
    reset_after = max(1, start + window - now)
    return Verdict(count <= limit, limit, max(0, limit - count), reset_after)
