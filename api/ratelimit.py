"""Per-student upload rate limit: a fixed window, counted by the ``limits`` library.

With Redis configured the counts live there (shared by every API process);
without it, in this process's memory (a single-process setup, or a test).
When the store cannot be reached the limiter fails closed: 503 with
``Retry-After``, never an unlimited upload (a flood is what it is there for).
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.problems import Problem

log = logging.getLogger(__name__)


RETRY_WHEN_DOWN_S = 5
"""``Retry-After`` of the 503 answered while the limiter's store is unreachable."""


class UploadLimiter:
    """At most ``limit`` uploads per key per ``window_s`` seconds."""

    def __init__(self, storage_uri: str | None, *, limit: int, window_s: int) -> None:
        self.item = RateLimitItemPerSecond(limit, window_s)
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri or "memory://",
                                                                  key_prefix="autograder:rate"))

    def hit(self, key: str) -> None:
        """Count one upload; raise a 429 Problem (with ``Retry-After``) when the window is full, a 503
        Problem (with ``Retry-After``) when the counts cannot be read."""
        try:
            if self.limiter.hit(self.item, key):
                return
            reset = self.limiter.get_window_stats(self.item, key).reset_time
        except Exception:  # noqa: BLE001 - whatever the store raised, we cannot count: refuse
            log.warning("rate limiter unavailable; refusing the upload", exc_info=True)
            raise Problem(503, "Upload limit unavailable",
                          f"uploads cannot be counted right now; try again in {RETRY_WHEN_DOWN_S} s",
                          headers={"Retry-After": str(RETRY_WHEN_DOWN_S)},
                          retry_after=RETRY_WHEN_DOWN_S) from None
        wait = max(1, math.ceil(reset - time.time()))
        raise Problem(429, "Too many submissions", f"try again in {wait} s",
                      headers={"Retry-After": str(wait)}, retry_after=wait)
