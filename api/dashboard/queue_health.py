"""What the dashboard reads of the running system: the broker's queue and the workers' heartbeats."""

from __future__ import annotations

from typing import Any

from service import heartbeats


def queue_health(redis_url: str | None, queue_name: str) -> dict[str, Any]:
    """Messages waiting in the broker's queue and the workers' heartbeats (empty without Redis)."""
    if not redis_url:
        return {"ok": False, "waiting": None, "workers": [], "error": "no Redis configured"}
    import redis

    try:
        r = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        workers = heartbeats.alive(r)
        waiting = int(r.llen(queue_name))  # type: ignore[arg-type]  # the sync client returns an int
        return {"ok": bool(workers), "waiting": waiting, "workers": workers}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "waiting": None, "workers": [], "error": str(e)[:200]}
