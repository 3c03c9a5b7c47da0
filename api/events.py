"""Progress events of a submission, worker → API, over Redis pub/sub (best effort: the DB is the truth)."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def channel(submission_id: str) -> str:
    return f"autograder:events:{submission_id}"


def publish(redis, submission_id: str, event: str, data: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Publish one event; never raises (a lost event only delays the browser until its next poll)."""
    try:
        redis.publish(channel(submission_id), json.dumps({"event": event, "data": data}))
    except Exception:  # noqa: BLE001
        log.warning("could not publish %s for %s", event, submission_id, exc_info=True)


def sse(event: str, data: dict[str, Any]) -> str:
    """One Server-Sent Events frame."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"
