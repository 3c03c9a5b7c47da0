"""The sweeper: re-enqueue submissions stuck in queued/running, let held ones through.

Every ``sweep_interval_s`` it sends again what the broker may have lost: rows
queued longer than ``resend_after_s`` when the broker holds fewer messages than
the database has queued rows (a Redis restart empties the queue; a long queue
that is all there is not re-sent),
rows running under a task no live worker process announces in its heartbeat
for ``lost_after_s`` (a worker killed with its machine), and rows running past
``sweep_after_s`` (above the hard time limit). It also admits the next held
submission of any student with none in flight (fair queueing's safety net), and
starts the similarity check of each assignment that has closed since its last run.

It runs as a thread in every worker's main process (and so inside ``serve``).
Several sweepers are safe together: each row moves by a conditional UPDATE
that only one of them wins, and a duplicate message is dropped by the claim.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from service import heartbeats, lifecycle, similarity
from service.db.session import session_factory
from service.settings import Settings
from service.task_sender import TaskSender

log = logging.getLogger(__name__)


def sweep_once(settings: Settings, enqueue: Callable[[str], None], live_tasks: set[str] | None = None,
               waiting_messages: int | None = None) -> list[str]:
    """One pass; returns the ids (re-)enqueued.

    ``live_tasks``: the tasks live processes hold; ``waiting_messages``: what the
    broker's queue holds; each None when unknown.
    """
    with session_factory(settings.database)() as s:
        lost = waiting_messages is None or waiting_messages < lifecycle.queued_count(s)
        ids = lifecycle.requeue_stale(s, older_than=timedelta(seconds=settings.sweep_after_s),
                                      max_attempts=settings.max_attempts,
                                      resend_after=(timedelta(seconds=settings.resend_after_s)
                                                    if lost else None),
                                      lost_after=timedelta(seconds=settings.lost_after_s),
                                      live_tasks=live_tasks)
        ids += lifecycle.admit_waiting(s)
    for sid in ids:
        try:
            enqueue(sid)
        except Exception:  # noqa: BLE001 - broker down: the row stays queued, the next pass retries
            log.warning("sweeper could not enqueue %s", sid, exc_info=True)
    if ids:
        log.warning("sweeper (re-)enqueued %d submission(s)", len(ids))
    return ids


def similarity_after_close(settings: Settings, send: Callable[[int], None]) -> list[int]:
    """The similarity check of each assignment that closed since its last run (once per close)."""
    with session_factory(settings.database)() as s:
        return similarity.request_after_close(s, assignments=settings.assignment_ids, env=settings.schedule,
                                              send=send)


def live_tasks(redis: Any) -> set[str] | None:
    """Task ids the live worker processes hold (heartbeats); None when none beats (Redis just restarted?)."""
    if redis is None:
        return None
    try:
        alive = heartbeats.alive(redis)
    except Exception:  # noqa: BLE001 - Redis away: judge by age alone this pass
        return None
    return {p["task_id"] for p in alive if p.get("task_id")} if alive else None


def start(settings: Settings) -> threading.Event:
    """Sweep every ``sweep_interval_s`` in a daemon thread until the returned event is set."""
    from workers import lms_callbacks, lti_roster
    from workers.celery_app import app

    queue = TaskSender(settings, app=app)
    redis = heartbeats.client(settings.redis_url)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(settings.sweep_interval_s):
            try:
                sweep_once(settings, queue.enqueue, live_tasks(redis), queue.waiting_messages())
                lms_callbacks.requeue_overdue(settings)
                similarity_after_close(settings, queue.similarity)
                lti_roster.request_due(settings)  # LTI course rosters older than lti_roster_refresh_s
            except Exception:  # noqa: BLE001 - database or broker briefly away: try again next interval
                log.exception("sweep failed")

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop
