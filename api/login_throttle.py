"""Failed sign-ins are counted per client address and per account; past the limit, sign-in waits (429).

The instructor's password is the one thing here a person could guess, so the
dashboard counts failures per address and for its account (many addresses,
one password). Students sign in with 256-bit tokens or one-time codes: no
account to aim at, so their failures count per address. Counts live in Redis
when it is configured (shared by every API process), else in this process.
A broken counter refuses sign-ins (503) rather than let guesses through.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.problems import Problem

log = logging.getLogger(__name__)


class LoginThrottle:
    """At most ``limit`` failed sign-ins per key per ``window_s`` seconds."""

    def __init__(self, storage_uri: str | None, *, limit: int, window_s: int) -> None:
        self.item = RateLimitItemPerSecond(limit, window_s)
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri or "memory://",
                                                                  key_prefix="autograder:login"))

    @staticmethod
    def keys(request: Request, account: str | None = None) -> list[str]:
        """The client's address and, when there is one to aim at, the account."""
        ip = request.client.host if request.client else "unknown"
        return [f"ip:{ip}"] + ([f"account:{account}"] if account else [])

    def wait(self, keys: list[str]) -> int:
        """Seconds until these keys may try again; 0 when they may now."""
        try:
            full = [k for k in keys if not self.limiter.test(self.item, k)]
            if not full:
                return 0
            reset = max(self.limiter.get_window_stats(self.item, k).reset_time for k in full)
        except Exception:  # noqa: BLE001 - counted nowhere means guessed freely: refuse instead
            log.warning("login throttle unavailable; refusing sign-ins", exc_info=True)
            raise Problem(503, "Sign-in unavailable", "try again in a minute",
                          headers={"Retry-After": "60"}) from None
        return max(1, math.ceil(reset - time.time()))

    def failed(self, keys: list[str]) -> None:
        """Count one failed sign-in against each key."""
        for k in keys:
            try:
                self.limiter.hit(self.item, k)
            except Exception:  # noqa: BLE001 - wait() refuses the next attempt when the counter is gone
                log.warning("login throttle unavailable", exc_info=True)


def get_login_throttle(request: Request) -> LoginThrottle:
    """The app's throttle, made on first use from its settings (a test may set
    ``app.state.login_throttle``)."""
    state = request.app.state
    if getattr(state, "login_throttle", None) is None:
        s = state.settings
        state.login_throttle = LoginThrottle(s.redis_url, limit=s.login_rate_limit,
                                             window_s=s.login_rate_window_s)
    return state.login_throttle  # type: ignore[no-any-return]


LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
