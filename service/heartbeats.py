"""Worker heartbeats in Redis: each pool process announces itself; ``/healthz`` and the dashboard read them.

A key ``autograder:workers:<host>:<pid>`` holds the process's JSON (pid, pool
index, device, sandbox layers, and ``task_id`` while it grades) and expires
after three missed beats, so a process killed with SIGKILL disappears on its
own, and the sweeper can tell a running row whose process died.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
PATTERN = "autograder:workers:*"
INTERVAL_S = 5


def start(redis: Any, info: dict[str, Any]) -> Callable[[], None]:
    """Beat every ``INTERVAL_S`` in a daemon thread; returns the function that stops and removes the key.

    ``info`` is read at every beat: the owner may change it (the task it holds).
    """
    key = f"autograder:workers:{socket.gethostname()}:{os.getpid()}"
    stop = threading.Event()

    def remove() -> None:
        stop.set()
        try:
            redis.delete(key)
        except Exception:  # noqa: BLE001
            log.debug("could not remove heartbeat", exc_info=True)

    def beat() -> None:
        while not stop.is_set():
            try:
                redis.set(key, json.dumps(dict(info)), ex=INTERVAL_S * 3)
            except Exception:  # noqa: BLE001 - Redis restarting: beat again later
                log.debug("heartbeat failed", exc_info=True)
            stop.wait(INTERVAL_S)

    threading.Thread(target=beat, name="heartbeat", daemon=True).start()
    return remove


def client(url: str | None) -> Any:
    """A Redis client for ``url``, or None without one."""
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def alive(redis: Any) -> list[dict[str, Any]]:
    """Every live worker process's announcement (raises when Redis cannot be reached)."""
    keys = list(redis.scan_iter(match=PATTERN, count=100))
    return [json.loads(v) for v in redis.mget(keys) if v] if keys else []


async def alive_async(aredis: Any) -> list[dict[str, Any]]:
    """:func:`alive` on an asyncio Redis client."""
    keys = [k async for k in aredis.scan_iter(match=PATTERN, count=100)]
    return [json.loads(v) for v in await aredis.mget(keys) if v] if keys else []
