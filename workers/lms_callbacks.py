"""Grades back to the LMS: the attempt's on-graded hook (:func:`on_graded`, injected by the pool process)
logs a delivery and sends this task; it never blocks grading.

``autograder.deliver_callback(delivery_id)`` makes one signed POST
(:func:`service.lms.delivery.attempt`) and, when it failed, sends itself again
after an exponential, jittered delay until ``lms_callback_max_attempts``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from service.db.session import session_factory
from service.lms import delivery
from service.settings import Settings
from service.task_sender import DELIVER, TaskSender
from workers import celery_app
from workers.celery_app import app

log = logging.getLogger(__name__)


def _sender(settings: Settings) -> TaskSender:
    return TaskSender(settings, app=app)


def on_graded(settings: Settings) -> Callable[[str], None]:
    """The hook of :class:`workers.attempt.Attempt`: a log row per LMS link (and LTI line item) of the graded
    submission, each handed to the task."""
    def schedule_callbacks(submission_id: str) -> None:
        with session_factory(settings.database)() as s:
            ids = delivery.schedule(s, submission_id)
        for delivery_id in ids:
            _sender(settings).deliver(delivery_id)
    return schedule_callbacks


def requeue_overdue(settings: Settings) -> list[int]:
    """Called by the sweeper: re-send deliveries whose retry message never ran (a lost broker message)."""
    grace = timedelta(seconds=max(60.0, 2 * settings.lms_callback_timeout_s))
    with session_factory(settings.database)() as s:
        ids = delivery.overdue(s, grace=grace)
    for delivery_id in ids:
        _sender(settings).deliver(delivery_id)
    if ids:
        log.warning("re-sent %d overdue LMS deliver%s", len(ids), "y" if len(ids) == 1 else "ies")
    return ids


@app.task(name=DELIVER, acks_late=True, ignore_result=True)
def deliver_callback(delivery_id: int) -> None:
    settings = celery_app.settings()
    with session_factory(settings.database)() as s:
        wait = delivery.attempt(session=s, delivery_id=delivery_id, transports=delivery.transports(settings),
                                settings=settings)
    if wait is not None:
        log.info("delivery %s failed; retrying in %.1f s", delivery_id, wait)
        _sender(settings).deliver(delivery_id, countdown=wait)
    else:
        log.info("delivery %s done", delivery_id)
