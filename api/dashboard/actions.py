"""What the dashboard changes: regrades (through the upload's enqueue path), re-sends, and queue health."""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from api.db import lifecycle
from api.db.models import Submission, SubmissionStatus
from api.queue import TaskQueue
from api.routes.health import WORKER_KEYS

log = logging.getLogger(__name__)
DELIVER_TASK = "autograder.deliver_callback"
DONE = (SubmissionStatus.GRADED.value, SubmissionStatus.FAILED.value)


def regrade(*, session: Session, queue: TaskQueue, submission_id: str) -> bool:
    """graded/failed → queued, then enqueue like a fresh upload; False when it is not finished yet.

    ``attempts`` is kept (it is the fencing token), the old report is cleared:
    the row shows what is true now. If the broker is down the sweeper sends it.
    """
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status.in_(DONE))
        .values(status=SubmissionStatus.QUEUED.value, report=None, score=None, max_score=None, error=None,
                started_at=None, finished_at=None, enqueued_at=None)).rowcount  # type: ignore[attr-defined]
    session.commit()
    if not moved:
        return False
    try:
        queue.enqueue(submission_id)
    except Exception:  # noqa: BLE001
        log.warning("regrade enqueue of %s failed; the sweeper will send it", submission_id, exc_info=True)
        return True
    lifecycle.mark_enqueued(session, submission_id)
    return True


class DeliveryQueue(Protocol):
    def send(self, delivery_id: int) -> None:
        """Ask a worker to attempt this LMS delivery now."""
        ...


class CeleryDeliveryQueue:
    def __init__(self, celery: Any) -> None:
        self.celery = celery

    def send(self, delivery_id: int) -> None:
        self.celery.send_task(DELIVER_TASK, (delivery_id,), retry=False)


class MemoryDeliveryQueue:
    def __init__(self) -> None:
        self.sent: list[int] = []

    def send(self, delivery_id: int) -> None:
        self.sent.append(delivery_id)


def delivery_queue(state: Any) -> DeliveryQueue:
    """The app's delivery queue: beside the real grading queue a Celery one, else an in-memory one."""
    if getattr(state, "delivery_queue", None) is None:
        celery = getattr(state.queue, "app", None)
        state.delivery_queue = CeleryDeliveryQueue(celery) if celery is not None else MemoryDeliveryQueue()
    return state.delivery_queue  # type: ignore[no-any-return]


def queue_health(redis_url: str | None, queue_name: str) -> dict[str, Any]:
    """Messages waiting in the broker's queue and the workers' heartbeats (empty without Redis)."""
    if not redis_url:
        return {"ok": False, "waiting": None, "workers": [], "error": "no Redis configured"}
    import redis

    try:
        r = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        keys = list(r.scan_iter(match=WORKER_KEYS, count=100))
        workers = [json.loads(v) for v in r.mget(keys) if v] if keys else []
        return {"ok": bool(workers), "waiting": int(r.llen(queue_name)), "workers": workers}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "waiting": None, "workers": [], "error": str(e)[:200]}
