"""A submission's life as conditional UPDATEs: each transition names the state it expects.

Two workers (a redelivered message, a sweeper's copy) may hold the same id at
once. ``attempts`` is the fencing token: :func:`claim` increments it, and only
the holder of the latest attempt may :func:`store` or :func:`release`, so a
report is stored exactly once whatever the broker does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.db.models import Submission, SubmissionStatus, utcnow

QUEUED, RUNNING = SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value
GRADED, FAILED = SubmissionStatus.GRADED.value, SubmissionStatus.FAILED.value


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


def store(session: Session, held: Claim, *, report_json: str, score: float, max_score: float) -> bool:
    """running → graded with the report; False (nothing written) when the claim was superseded."""
    now = utcnow()
    done = session.execute(
        update(Submission)
        .where(Submission.id == held.id, Submission.status == RUNNING, Submission.attempts == held.attempt)
        .values(status=GRADED, finished_at=now, report=report_json, score=score, max_score=max_score,
                latency_s=(now - held.received_at).total_seconds(), error=None)
    ).rowcount
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
    session.commit()
    return bool(done)


def mark_enqueued(session: Session, submission_id: str) -> None:
    session.execute(update(Submission).where(Submission.id == submission_id).values(enqueued_at=utcnow()))
    session.commit()


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
