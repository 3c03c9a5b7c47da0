"""A submission's life as conditional UPDATEs: each transition names the state it expects.

Two workers (a redelivered message, a sweeper's copy) may hold the same id at
once. ``attempts`` is the fencing token: :func:`claim` increments it, and only
the holder of the latest attempt may :func:`store` or :func:`release`, so a
report is stored exactly once whatever the broker does. Every change of a
submission's status lives here: upload (:func:`send`), claim, store, release,
the sweeper's :func:`requeue_stale` and the dashboard's :func:`regrade`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from grader.report import Report
from service import grades
from service.db.models import Submission, SubmissionStatus, utcnow
from service.task_sender import TaskQueue

log = logging.getLogger(__name__)

QUEUED, RUNNING = SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value
GRADED, FAILED = SubmissionStatus.GRADED.value, SubmissionStatus.FAILED.value
FINISHED = (GRADED, FAILED)


@dataclass(frozen=True)
class Claim:
    """What a worker holds while grading: the bytes and its fencing token."""

    id: str
    attempt: int
    content: bytes
    assignment: str
    seed: int
    received_at: datetime


def claim(session: Session, submission_id: str, *, task_id: str) -> Claim | None:
    """Move queued → running for this task; None when someone else holds it or it is done.

    A redelivery of the same message (same ``task_id``, after its worker died)
    may take over a row that is still ``running``.
    """
    taken = session.execute(
        update(Submission)
        .where(Submission.id == submission_id,
               or_(Submission.status == QUEUED,
                   and_(Submission.status == RUNNING, Submission.task_id == task_id)))
        .values(status=RUNNING, started_at=utcnow(), task_id=task_id, attempts=Submission.attempts + 1)
    ).rowcount
    session.commit()
    if not taken:
        return None
    row = session.get(Submission, submission_id, populate_existing=True)
    assert row is not None
    return Claim(row.id, row.attempts, row.content, row.assignment, row.seed, _aware(row.received_at))


def store(session: Session, held: Claim, *, report: Report) -> bool:
    """running → graded with the report; False (nothing written) when the claim was superseded."""
    now = utcnow()
    done = session.execute(
        update(Submission)
        .where(Submission.id == held.id, Submission.status == RUNNING, Submission.attempts == held.attempt)
        .values(status=GRADED, finished_at=now, report=report.to_json(), score=report.score,
                max_score=report.max_score,
                latency_s=(now - held.received_at).total_seconds(), error=None)
    ).rowcount
    if done:
        grades.stored(session, held.id, report)  # per-test rows and the counted grade, same transaction
    session.commit()
    return bool(done)


def release(session: Session, held: Claim, *, error: str, final: bool) -> bool:
    """Give a claim back after an internal error: queued again for a retry, or ``failed`` when final."""
    values: dict[str, object] = {"error": error}
    if final:
        now = utcnow()
        values.update(status=FAILED, finished_at=now, latency_s=(now - held.received_at).total_seconds())
    else:
        values.update(status=QUEUED, enqueued_at=utcnow())
    done = session.execute(
        update(Submission)
        .where(Submission.id == held.id, Submission.status == RUNNING, Submission.attempts == held.attempt)
        .values(**values)
    ).rowcount
    if done and final:
        grades.refresh_submission(session, held.id)  # a regraded submission that failed no longer counts
    session.commit()
    return bool(done)


def send(session: Session, queue: TaskQueue, submission_id: str) -> bool:
    """Enqueue a committed queued row and stamp ``enqueued_at``; False when the broker is down.

    Nothing is lost then: the row stays queued and the sweeper sends it later.
    """
    try:
        queue.enqueue(submission_id)
    except Exception:  # noqa: BLE001
        log.warning("enqueue of %s failed; the sweeper will send it", submission_id, exc_info=True)
        return False
    session.execute(update(Submission).where(Submission.id == submission_id).values(enqueued_at=utcnow()))
    session.commit()
    return True


def regrade(session: Session, queue: TaskQueue, submission_id: str) -> bool:
    """graded/failed → queued, then sent like a fresh upload; False when it is not finished yet.

    ``attempts`` is kept (it is the fencing token), the old report is cleared:
    the row shows what is true now. The seed is kept, so a regrade of the same
    code with the same grader gives the same report.
    """
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status.in_(FINISHED))
        .values(status=QUEUED, report=None, score=None, max_score=None, error=None,
                started_at=None, finished_at=None, enqueued_at=None)).rowcount
    session.commit()
    if moved:
        send(session, queue, submission_id)
    return bool(moved)


def requeue_stale(session: Session, *, older_than: timedelta, max_attempts: int) -> list[str]:
    """Rows stuck queued or running past the deadline: back to queued (or failed); ids to enqueue.

    Each row is moved by its own conditional UPDATE, so two sweepers never both
    take it, and a worker still grading it loses its claim (its store is refused).
    """
    cutoff = utcnow() - older_than
    stuck = session.execute(
        select(Submission.id, Submission.status, Submission.attempts).where(or_(
            and_(Submission.status == QUEUED, _queued_since() < cutoff),
            and_(Submission.status == RUNNING, Submission.started_at < cutoff)))
    ).all()
    ids = []
    for sid, status, attempts in stuck:
        since = _queued_since() if status == QUEUED else Submission.started_at
        give_up = status == RUNNING and attempts >= max_attempts
        values: dict[str, object] = (
            {"status": FAILED, "finished_at": utcnow(), "error": "gave up: worker lost or timed out "
             f"{attempts} times"} if give_up else {"status": QUEUED, "enqueued_at": utcnow()})
        moved = session.execute(
            update(Submission)
            .where(Submission.id == sid, Submission.status == status, Submission.attempts == attempts,
                   since < cutoff)
            .values(**values)
        ).rowcount
        session.commit()
        if moved and not give_up:
            ids.append(sid)
    return ids


def _queued_since():  # type: ignore[no-untyped-def]
    # Never sent (the broker was down at upload): count from when it was received.
    return func.coalesce(Submission.enqueued_at, Submission.received_at)


def _aware(t: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    return t if t.tzinfo else t.replace(tzinfo=UTC)
