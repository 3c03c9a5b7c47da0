"""Per-student upload rate limit: a fixed window counted in Redis (shared by every API process)."""

from __future__ import annotations

import logging
import time
from typing import Protocol

log = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def hit(self, key: str) -> int | None:
        """Count one request; None when allowed, else the seconds until the window resets."""
        ...


class RedisRateLimiter:
    def __init__(self, redis, *, limit: int, window_s: int) -> None:  # type: ignore[no-untyped-def]
        self.redis, self.limit, self.window_s = redis, limit, window_s

    def hit(self, key: str) -> int | None:
        window = int(time.time()) // self.window_s
        name = f"autograder:rate:{key}:{window}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, self.window_s + 1)
            count = pipe.execute()[0]
        except Exception:  # noqa: BLE001 - Redis down must not refuse uploads: the DB still takes them
            log.warning("rate limiter unavailable; allowing", exc_info=True)
            return None
        if count <= self.limit:
            return None
        return max(1, (window + 1) * self.window_s - int(time.time()))


class MemoryRateLimiter:
    """In-process double with the same fixed-window rule."""

    def __init__(self, *, limit: int, window_s: int) -> None:
        self.limit, self.window_s = limit, window_s
        self.counts: dict[tuple[str, int], int] = {}

    def hit(self, key: str) -> int | None:
        window = int(time.time()) // self.window_s
        self.counts[(key, window)] = self.counts.get((key, window), 0) + 1
        if self.counts[(key, window)] <= self.limit:
            return None
        return max(1, (window + 1) * self.window_s - int(time.time()))
