"""Progress events of a submission, worker → API, over Redis pub/sub (best effort: the DB is the truth).

The worker publishes (:class:`Publisher`); the API's SSE stream
(``api.sse_stream``) subscribes to :func:`channel` and merges these events
with database snapshots.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def channel(submission_id: str) -> str:
    return f"autograder:events:{submission_id}"


class Publisher:
    """Publishes a submission's events; without Redis (or when it is down) events are dropped."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def __call__(self, submission_id: str, event: str, data: dict[str, Any]) -> None:
        """Publish one event; never raises (a lost event only delays the browser until its next poll)."""
        if self.redis is None:
            return
        try:
            self.redis.publish(channel(submission_id), json.dumps({"event": event, "data": data}))
        except Exception:  # noqa: BLE001
            log.warning("could not publish %s for %s", event, submission_id, exc_info=True)


def decode(message: bytes | str) -> tuple[str, dict[str, Any]]:
    """``(event, data)`` of a message published by :class:`Publisher`."""
    payload = json.loads(message)
    return payload["event"], payload["data"]
