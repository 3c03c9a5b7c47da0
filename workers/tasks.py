"""The grading task: thin, load → call → store (see :mod:`workers.attempt`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from billiard.process import current_process
from celery.utils.time import get_exponential_backoff_interval

from service import heartbeats, progress_events
from service.db.session import after_fork, session_factory
from service.settings import Settings
from service.task_sender import GRADE, TaskSender
from workers import attempt, lms_callbacks, pool_process
from workers.celery_app import app

log = logging.getLogger(__name__)
RETRY_MAX_S = 30
_ctx: attempt.Attempt | None = None
_beat: dict[str, Any] = {}
"""This process's heartbeat; ``task_id`` while it grades (the sweeper takes back a dead process's rows)."""
_cleanup: list[Callable[[], None]] = []


def init_process(settings: Settings, make_grader: pool_process.MakeGrader) -> None:
    """Run once in each pool process, right after the fork: GPU, warm grader, heartbeat."""
    global _ctx
    after_fork()
    index = getattr(current_process(), "index", 0) or 0
    device = pool_process.device_for(index, settings)
    graders = pool_process.Graders(settings, make_grader, device)
    graders.get(settings.default_assignment)  # warm up now, not on the first submission
    redis = heartbeats.client(settings.redis_url)
    if redis is not None:
        _beat.update(pid=current_process().pid, index=index, device=device or "cpu",
                     sandbox=pool_process.sandbox_layers(), warm=True)
        _cleanup.append(heartbeats.start(redis, _beat))
    _cleanup.append(graders.close)
    publish = progress_events.Publisher(redis)
    _ctx = attempt.Attempt(sessions=session_factory(settings.database), grader_for=graders.get,
                           publish=publish, max_attempts=settings.max_attempts, training=settings.training,
                           queue=TaskSender(settings, app=app), on_graded=lms_callbacks.on_graded(settings))
    log.info("worker process %s ready on %s", index, device or "cpu")


def shutdown_process() -> None:
    """Pool process ending: remove its heartbeat, stop its graders (and their zygotes)."""
    while _cleanup:
        _cleanup.pop()()


@app.task(bind=True, name=GRADE, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def grade_submission(self: Any, submission_id: str) -> str:
    assert _ctx is not None, "worker process not initialised"
    _beat["task_id"] = self.request.id
    try:
        outcome = attempt.run(submission_id, task_id=self.request.id, ctx=_ctx)
    finally:
        _beat.pop("task_id", None)
    log.info("submission %s: %s", submission_id, outcome)
    if outcome == "retry":
        raise self.retry(countdown=get_exponential_backoff_interval(1, self.request.retries or 0, RETRY_MAX_S))
    return outcome
