"""One grading attempt: claim the row, grade, store the report exactly once (or give it back)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.orm import Session, sessionmaker

from grader.report import Report, Status, TestResult
from service import lifecycle
from service.report_view import test_summary
from service.task_sender import TaskQueue
from workers.pool_process import Grader

log = logging.getLogger(__name__)
Publish = Callable[[str, str, dict[str, Any]], None]


@dataclass
class Attempt:
    """Everything one attempt needs, passed in so a test can hand in doubles."""

    sessions: sessionmaker[Session]
    grader_for: Callable[[str], Grader]
    """The warm grader of an assignment."""
    publish: Publish
    max_attempts: int = 3
    training: bool = True
    queue: TaskQueue | None = None
    """Where the student's next held submission is sent once this one is done (fair queueing)."""
    on_graded: Callable[[str], None] | None = None
    """Called with the submission id once its report is committed (the LMS and LTI deliveries); it must be
    idempotent and quick. A failing hook is logged and never undoes the grade."""


def run(submission_id: str, *, task_id: str, ctx: Attempt) -> str:
    """``graded``, ``retry``, ``failed``, ``skipped`` (someone else holds it) or ``superseded``."""
    with ctx.sessions() as s:
        held = lifecycle.claim(s, submission_id, task_id=task_id)
    if held is None:
        return "skipped"
    ctx.publish(submission_id, "running", {"id": submission_id, "attempt": held.attempt})
    report, error, retry = _grade(ctx, held)
    with ctx.sessions() as s:
        if report is not None and not report.internal_error:
            if not lifecycle.store(s, held, report=report):
                return "superseded"
            _fire_graded(ctx, submission_id)
            ctx.publish(submission_id, "graded", {"id": submission_id, "score": report.score})
            _advance(ctx, s, submission_id)
            return "graded"
        final = held.attempt >= ctx.max_attempts or not retry
        if lifecycle.release(s, held, error=error, final=final) and final:
            _advance(ctx, s, submission_id)
    return "failed" if final else "retry"


def _fire_graded(ctx: Attempt, submission_id: str) -> None:
    if ctx.on_graded is None:
        return
    try:
        ctx.on_graded(submission_id)
    except Exception:  # noqa: BLE001 - the grade is stored; the sweeper re-sends what was logged
        log.exception("the on-graded hook failed for %s", submission_id)


def _advance(ctx: Attempt, session: Session, submission_id: str) -> None:
    # The student's next held submission goes to the broker now; the sweeper would, later.
    if ctx.queue is not None:
        lifecycle.advance_after(session, ctx.queue, submission_id)


def _grade(ctx: Attempt, held: lifecycle.Claim) -> tuple[Report | None, str, bool]:
    """The report, or None; the error; whether a retry may help."""
    def progress(t: TestResult) -> None:
        ctx.publish(held.id, "test", {"id": held.id, **test_summary(t)})
    try:
        report = ctx.grader_for(held.assignment).grade(held.content, seed=held.seed, training=ctx.training,
                                                       progress=progress)
    except SoftTimeLimitExceeded:
        # The task's time budget is spent: a submission that ran this long would do it again.
        log.warning("grading %s ran past the task's soft time limit", held.id)
        return None, "over the time budget: grading ran past the task's soft time limit", False
    except Exception as e:  # noqa: BLE001 - the grader failing is ours by definition: retry
        log.exception("grading %s raised", held.id)
        return None, f"internal error: {type(e).__name__}: {e}"[:2000], True
    bad = [t.name for t in report.tests if t.status is Status.INTERNAL_ERROR]
    return report, f"internal error in: {', '.join(bad)}" if bad else "", True
