"""Intake: check an upload, store its row (the source of truth), then send its id to the workers.

One path for every way in (:func:`submit`): the upload API, the student page (an LTI
student's too) and the LMS webhook call it, and only map its outcome to their response.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import lifecycle, schedule
from service.db.models import Student, Submission, SubmissionStatus, utcnow
from service.problems import PROBLEMS, Problem
from service.settings import Settings
from service.task_sender import TaskQueue

log = logging.getLogger(__name__)
# CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch", gh-106905);
# uploads are validated in FastAPI's threadpool.
_PARSE_LOCK = threading.Lock()


def known_assignments() -> list[str]:
    """Assignment ids the grading library knows (its data files; no check or sandbox code is imported)."""
    from grader.assignments import known_assignments as from_grader

    return list(from_grader())


def validate(content: bytes, *, max_bytes: int, size: int | None = None) -> str:
    """The source text, or a Problem: too large, not UTF-8, or not Python (with line and column).

    ``size`` is the upload's real size when ``content`` was read only up to the limit.
    """
    if len(content) > max_bytes:
        size = max(size or 0, len(content))
        raise Problem(413, "Submission too large", f"layers.py is {size / 1024:,.1f} kB; "
                      f"the limit is {max_bytes / 1024:,.1f} kB", type=PROBLEMS + "too-large",
                      limit=max_bytes, size=size)
    if not content.strip():
        raise Problem(422, "Empty submission", "the uploaded file is empty", type=PROBLEMS + "empty")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Problem(422, "Not UTF-8", f"byte {e.start} is not valid UTF-8; save layers.py as UTF-8",
                      type=PROBLEMS + "encoding", offset=e.start) from None
    try:
        with _PARSE_LOCK:
            ast.parse(text, filename="layers.py")
    except SyntaxError as e:
        raise Problem(422, "Syntax error", f"line {e.lineno}, column {e.offset}: {e.msg}",
                      type=PROBLEMS + "syntax", line=e.lineno, column=e.offset) from None
    return text


def check_filename(filename: str | None) -> None:
    """A 422 Problem unless the uploaded file's name ends in ``.py`` (a ``layers.txt`` is a mistake)."""
    if filename and not filename.lower().endswith(".py"):
        raise Problem(422, "Not a Python file",
                      f"`{filename[:100]}` does not end in .py: upload your layers.py",
                      type=PROBLEMS + "filename", filename=filename[:255])


def check_assignment(assignment: str, allowed: list[str]) -> None:
    known = [a for a in known_assignments() if a in allowed]
    if assignment not in known:
        raise Problem(422, "Unknown assignment", f"`{assignment}` is not graded here; known: {known}",
                      type=PROBLEMS + "unknown-assignment", known=known)


def one_assignment(named: dict[str, str | None], *, fix: str) -> str | None:
    """The assignment that every place a request names one agrees on (None: none names one).

    ``named`` maps where each came from ("the query") to what it names; two different ones are refused,
    not guessed: a 422 whose detail ends in ``fix`` (what to do instead).
    """
    given = [(where, a) for where, a in named.items() if a]
    if len({a for _, a in given}) > 1:
        (first, a), (second, b) = given[:2]
        raise Problem(422, "Two assignments", f"{first} names `{a}` and {second} `{b}`: {fix}",
                      type=PROBLEMS + "two-assignments", assignments=[a, b])
    return given[0][1] if given else None


class Limiter(Protocol):
    """The per-student upload rate limit (``api.ratelimit.UploadLimiter``; a double in tests)."""

    def hit(self, key: str) -> None:
        """Count one upload for ``key``; raise a Problem (429, or 503 when it cannot count) to refuse it."""


@dataclass
class Accepted:
    """What an upload became: its row, and whether this call created it (False: a replay)."""

    submission: Submission
    created: bool


def key_reused(old: Submission) -> Problem:
    """The refusal of an ``Idempotency-Key`` sent again with a different file."""
    return Problem(409, "Idempotency-Key reused", "this key was used for a different file",
                   type=PROBLEMS + "idempotency-conflict", submission_id=old.id)


def submit(*, session: Session, queue: TaskQueue, settings: Settings, limiter: Limiter,
           student: Student | Callable[[], Student], content: bytes, filename: str | None, assignment: str,
           size: int | None = None, idempotency_key: str | None = None,
           reused_key: Callable[[Submission], Problem] = key_reused) -> Accepted:
    """Every way in (the upload API, the student page, an LTI student, the LMS webhook) comes here.

    In order: the assignment is graded here, the file is named ``*.py``, its content passes
    :func:`validate`; a repeated ``idempotency_key`` answers the first submission (not counted
    again); the assignment is not closed for this student; the rate limit and the cap on the
    student's waiting submissions; then the row is created (:func:`create`). A refusal is a
    :class:`~service.problems.Problem`; the route maps the outcome to its response.

    ``student`` may be a function (an LMS's student is created on their first upload): it is
    called once the upload passed its checks. ``size`` is the upload's real size when
    ``content`` was read only up to the limit; ``reused_key`` words the refusal of a key sent
    again with another file.
    """
    check_assignment(assignment, settings.assignment_ids)
    check_filename(filename)
    validate(content, max_bytes=settings.max_upload_bytes, size=size)
    who = student() if callable(student) else student
    sha = hashlib.sha256(content).hexdigest()
    if idempotency_key and (old := _by_key(session, who.id, idempotency_key)):
        return Accepted(_same_upload(old, sha, reused_key), False)
    refuse_if_closed(session=session, settings=settings, assignment=assignment, student=who)
    limiter.hit(f"student:{who.id}")
    _check_waiting(session, who.id, settings.max_waiting_per_student)
    row, created = create(session=session, queue=queue, student=who, content=content, assignment=assignment,
                          filename=filename or "layers.py", idempotency_key=idempotency_key,
                          reused_key=reused_key)
    return Accepted(row, created)


def refuse_if_closed(*, session: Session, settings: Settings, assignment: str, student: Student,
                     now: datetime | None = None) -> None:
    """A 403 Problem when the assignment is closed for this student (their extension moves the close).

    Instructors (trying the grader out) are never refused.
    """
    close = schedule.for_student(session, settings.schedule, assignment, student.id).close()
    if close is not None and (now or utcnow()) > close and not student.is_instructor:
        raise Problem(403, "Submissions closed", f"{assignment} closed at {close.isoformat()}",
                      type=PROBLEMS + "closed", assignment=assignment, closed_at=close.isoformat())


def _check_waiting(session: Session, student_id: int, max_waiting: int) -> None:
    if (n := lifecycle.waiting(session, student_id)) >= max_waiting:
        raise Problem(429, "Too many submissions waiting",
                      f"{n} of your submissions are waiting to be graded (at most {max_waiting}); "
                      "upload again once one is graded", type=PROBLEMS + "too-many-waiting",
                      waiting=n, limit=max_waiting)


def create(*, session: Session, queue: TaskQueue, student: Student, content: bytes, assignment: str,
           filename: str = "layers.py", idempotency_key: str | None = None,
           reused_key: Callable[[Submission], Problem] = key_reused) -> tuple[Submission, bool]:
    """Store a held row, commit, then let it through (queued, enqueued) when none of the student's is
    in flight (:func:`service.lifecycle.advance`); returns (row, created). No checks: :func:`submit`
    makes them. The same key raced in from a parallel request returns the first.
    """
    sha = hashlib.sha256(content).hexdigest()
    row = Submission(student_id=student.id, assignment=assignment, filename=filename[:255],
                     content=content, sha256=sha, idempotency_key=idempotency_key,
                     status=SubmissionStatus.HELD.value)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same key raced in from a parallel request
        session.rollback()
        old = _by_key(session, student.id, idempotency_key or "")
        if old is None:
            raise
        return _same_upload(old, sha, reused_key), False
    lifecycle.advance(session, queue, student.id)
    session.refresh(row)
    return row, True


def _by_key(session: Session, student_id: int, key: str) -> Submission | None:
    return session.scalar(select(Submission).where(Submission.student_id == student_id,
                                                   Submission.idempotency_key == key))


def _same_upload(old: Submission, sha: str, reused_key: Callable[[Submission], Problem]) -> Submission:
    if old.sha256 != sha:
        raise reused_key(old)
    return old


def queue_position(session: Session, row: Submission) -> int:
    """1 for the next to be graded: queued rows received before this one, plus one.

    A held row also waits for every queued row and for the student's own earlier held ones.
    """
    queued = Submission.status == SubmissionStatus.QUEUED.value
    if row.status == SubmissionStatus.HELD.value:
        ahead = session.scalar(select(func.count()).select_from(Submission).where(or_(queued, and_(
            Submission.status == row.status, Submission.student_id == row.student_id,
            Submission.received_at < row.received_at))))
    else:
        ahead = session.scalar(select(func.count()).select_from(Submission).where(
            queued, Submission.received_at < row.received_at))
    return int(ahead or 0) + 1
