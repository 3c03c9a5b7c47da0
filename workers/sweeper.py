"""The sweeper: re-enqueue submissions stuck in queued/running past the deadline.

It runs as a thread in every worker's main process (and so inside ``serve``).
Several sweepers are safe together: each row moves by a conditional UPDATE
that only one of them wins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from service import lifecycle
from service.db.session import session_factory
from service.settings import Settings
from service.task_sender import TaskSender

log = logging.getLogger(__name__)


def sweep_once(settings: Settings, enqueue: Callable[[str], None]) -> list[str]:
    """One pass; returns the ids re-enqueued."""
    with session_factory(settings.database)() as s:
        ids = lifecycle.requeue_stale(s, older_than=timedelta(seconds=settings.sweep_after_s),
                                      max_attempts=settings.max_attempts)
    for sid in ids:
        try:
            enqueue(sid)
        except Exception:  # noqa: BLE001 - broker down: the row stays queued, the next pass retries
            log.warning("sweeper could not enqueue %s", sid, exc_info=True)
    if ids:
        log.warning("sweeper re-enqueued %d stuck submission(s)", len(ids))
    return ids


def start(settings: Settings) -> threading.Event:
    """Sweep every ``sweep_interval_s`` in a daemon thread until the returned event is set."""
    from workers import lms_callbacks
    from workers.celery_app import app

    queue = TaskSender(settings, app=app)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(settings.sweep_interval_s):
            try:
                sweep_once(settings, queue.enqueue)
                lms_callbacks.requeue_overdue(settings)
            except Exception:  # noqa: BLE001 - database or broker briefly away: try again next interval
                log.exception("sweep failed")

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop
