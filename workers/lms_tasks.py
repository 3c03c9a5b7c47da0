"""Grades back to the LMS: the ``on_graded`` hook logs a delivery and enqueues this task; it never blocks grading.

``autograder.deliver_callback(delivery_id)`` makes one signed POST
(:func:`api.lms.delivery.attempt`) and, when it failed, sends itself again
after an exponential, jittered delay until ``lms_callback_max_attempts``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from api.db.session import session_factory
from api.lms import delivery
from workers import celery_app, hooks
from workers.celery_app import app

log = logging.getLogger(__name__)
TASK = "autograder.deliver_callback"


@hooks.on_graded
def schedule_callbacks(submission_id: str) -> None:
    """The hook: a log row per LMS link of this submission, each handed to the task."""
    settings = celery_app.SETTINGS
    if settings is None:  # grading outside a configured worker (unit tests): nothing to send with
        return
    with session_factory(settings.database)() as s:
        ids = delivery.schedule(s, submission_id)
    for delivery_id in ids:
        app.send_task(TASK, (delivery_id,), retry=False)


def requeue_overdue(settings) -> list[int]:  # type: ignore[no-untyped-def]
    """Called by the sweeper: re-send deliveries whose retry message never ran (a lost broker message)."""
    grace = timedelta(seconds=max(60.0, 2 * settings.lms_callback_timeout_s))
    with session_factory(settings.database)() as s:
        ids = delivery.overdue(s, grace=grace)
    for delivery_id in ids:
        app.send_task(TASK, (delivery_id,), retry=False)
    if ids:
        log.warning("re-sent %d overdue LMS deliver%s", len(ids), "y" if len(ids) == 1 else "ies")
    return ids


@app.task(name=TASK, acks_late=True, ignore_result=True)
def deliver_callback(delivery_id: int) -> None:
    settings = celery_app.SETTINGS
    assert settings is not None, "call workers.celery_app.configure(settings) first"
    with session_factory(settings.database)() as s:
        wait = delivery.attempt(session=s, delivery_id=delivery_id, transport=delivery.HttpTransport(),
                                settings=settings)
    if wait is not None:
        log.info("delivery %s failed; retrying in %.1f s", delivery_id, wait)
        app.send_task(TASK, (delivery_id,), countdown=wait, retry=False)
    else:
        log.info("delivery %s done", delivery_id)
