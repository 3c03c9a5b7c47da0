"""A submission's life as conditional UPDATEs: each transition names the state it expects.

Two workers (a redelivered message, a sweeper's copy) may hold the same id at
once. ``attempts`` is the fencing token: :func:`claim` increments it, and only
the holder of the latest attempt may :func:`store` or :func:`release`, so a
report is stored exactly once whatever the broker does. Every change of a
submission's status lives here: upload (:func:`send`), claim, store, release,
the sweeper's :func:`requeue_stale` and the dashboard's :func:`regrade`.

Fair queueing: a student has at most one submission in flight (``queued`` in
the broker or ``running``); the others are ``held`` in the database and
:func:`advance` lets the oldest one through when the previous one finishes. The
broker's first-in-first-out order then takes one submission per student in
turn, so a new student's first upload overtakes a flooding student's backlog.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from grader.report import Report
from service import grades
from service.db.models import Submission, SubmissionStatus, utcnow
from service.task_sender import TaskQueue

log = logging.getLogger(__name__)

QUEUED, RUNNING = SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value
GRADED, FAILED = SubmissionStatus.GRADED.value, SubmissionStatus.FAILED.value
FINISHED = (GRADED, FAILED)
HELD = SubmissionStatus.HELD.value
IN_FLIGHT = (QUEUED, RUNNING)


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
        grades.recompute_submission(session, held.id)  # a regraded submission that failed no longer counts
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
        .values(status=HELD, report=None, score=None, max_score=None, error=None,
                started_at=None, finished_at=None, enqueued_at=None)).rowcount
    session.commit()
    if moved:
        advance(session, queue, _student_of(session, submission_id))
    return bool(moved)


def waiting(session: Session, student_id: int) -> int:
    """How many of the student's submissions wait (held, or queued in the broker)."""
    return int(session.scalar(select(func.count()).select_from(Submission).where(
        Submission.student_id == student_id, Submission.status.in_((HELD, QUEUED)))) or 0)


def admit(session: Session, student_id: int, *, sending_at: datetime | None = None) -> str | None:
    """held → queued for the student's oldest held row, when none of theirs is in flight; its id, or None.

    One conditional UPDATE: two callers at once (an upload and the store of the
    previous submission) admit at most one row. ``sending_at``: ``enqueued_at``
    for a caller that sends it without :func:`send`.
    """
    oldest = session.scalar(select(Submission.id).where(Submission.student_id == student_id,
                                                        Submission.status == HELD)
                            .order_by(Submission.received_at, Submission.id).limit(1))
    if oldest is None:
        return None
    other = aliased(Submission)
    in_flight = select(other.id).where(other.student_id == student_id, other.status.in_(IN_FLIGHT)).exists()
    moved = session.execute(update(Submission).where(Submission.id == oldest, Submission.status == HELD,
                                                     ~in_flight)
                            .values(status=QUEUED, enqueued_at=sending_at)).rowcount
    session.commit()
    return oldest if moved else None


def advance(session: Session, queue: TaskQueue, student_id: int | None) -> str | None:
    """Admit the student's next held submission (:func:`admit`) and send it; its id, or None."""
    if student_id is None or (sid := admit(session, student_id)) is None:
        return None
    send(session, queue, sid)
    return sid


def advance_after(session: Session, queue: TaskQueue, submission_id: str) -> str | None:
    """:func:`advance` for the student of a submission that just finished."""
    return advance(session, queue, _student_of(session, submission_id))


def admit_waiting(session: Session) -> list[str]:
    """For the sweeper: admit the next held row of every student with none in flight; ids to send.

    Covers an advance that never ran (a worker died between its store and the advance).
    """
    other = aliased(Submission)
    in_flight = select(other.id).where(other.student_id == Submission.student_id,
                                       other.status.in_(IN_FLIGHT)).exists()
    students = session.scalars(select(Submission.student_id).where(Submission.status == HELD, ~in_flight)
                               .distinct()).all()
    return [sid for st in students if (sid := admit(session, st, sending_at=utcnow())) is not None]


def queued_count(session: Session) -> int:
    """Rows queued: what the broker should hold, besides messages a worker took but has not claimed yet."""
    return int(session.scalar(select(func.count()).select_from(Submission)
                              .where(Submission.status == QUEUED)) or 0)


def _student_of(session: Session, submission_id: str) -> int | None:
    return session.scalar(select(Submission.student_id).where(Submission.id == submission_id))


def requeue_stale(session: Session, *, older_than: timedelta, max_attempts: int,
                  resend_after: timedelta | None = None, lost_after: timedelta | None = None,
                  live_tasks: set[str] | None = None) -> list[str]:
    """Rows stuck queued or running: back to queued (or failed); ids to enqueue (again).

    Stuck means queued and sent longer ago than ``resend_after`` (the broker may
    have lost the message: a duplicate is dropped by :func:`claim`), or running
    longer than ``older_than``, or running longer than ``lost_after`` under a
    task no live worker process holds (``live_tasks``, from the heartbeats).
    Each row is moved by its own conditional UPDATE, so two sweepers never both
    take it, and a worker still grading it loses its claim (its store is refused).
    """
    now = utcnow()
    queued_cutoff, cutoff = now - (older_than if resend_after is None else resend_after), now - older_than
    running_stuck = Submission.started_at < cutoff
    if lost_after is not None and live_tasks is not None:
        orphan = or_(Submission.task_id.is_(None), Submission.task_id.not_in(live_tasks))
        running_stuck = or_(running_stuck, and_(Submission.started_at < now - lost_after, orphan))
    stuck = session.execute(
        select(Submission.id, Submission.status, Submission.attempts).where(or_(
            and_(Submission.status == QUEUED, _queued_since() < queued_cutoff),
            and_(Submission.status == RUNNING, running_stuck)))
    ).all()
    ids = []
    for sid, status, attempts in stuck:
        give_up = status == RUNNING and attempts >= max_attempts
        values: dict[str, object] = (
            {"status": FAILED, "finished_at": utcnow(), "error": "gave up: worker lost or timed out "
             f"{attempts} times"} if give_up else {"status": QUEUED, "enqueued_at": utcnow()})
        still = _queued_since() < queued_cutoff if status == QUEUED else running_stuck
        moved = session.execute(
            update(Submission)
            .where(Submission.id == sid, Submission.status == status, Submission.attempts == attempts, still)
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
