"""Accepting a submission: validate, store the row (the source of truth), then enqueue its id."""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import threading
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import lifecycle
from api.db.models import Student, Submission, SubmissionStatus
from api.problems import Problem
from api.queue import TaskQueue

log = logging.getLogger(__name__)
PROBLEMS = "https://autograder.invalid/problems/"
# CPython 3.11's ast.parse is not thread-safe ("AST constructor recursion depth mismatch", gh-106905);
# uploads are validated in FastAPI's threadpool.
_PARSE_LOCK = threading.Lock()


def known_assignments() -> list[str]:
    """Assignment ids the grading library knows."""
    try:
        from grader.assignments import known_assignments as from_grader
    except ImportError:  # TODO(known_assignments): drop once grader.assignments lands
        return ["ex08"]
    return list(from_grader())


def validate(content: bytes, *, max_bytes: int) -> str:
    """The source text, or a Problem: too large, not UTF-8, or not Python (with line and column)."""
    if len(content) > max_bytes:
        raise Problem(413, "Submission too large", f"{len(content)} bytes; the limit is {max_bytes}",
                      type=PROBLEMS + "too-large", limit=max_bytes, size=len(content))
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


def check_assignment(assignment: str, allowed: list[str]) -> None:
    known = [a for a in known_assignments() if a in allowed]
    if assignment not in known:
        raise Problem(422, "Unknown assignment", f"`{assignment}` is not graded here; known: {known}",
                      type=PROBLEMS + "unknown-assignment", known=known)


def create(*, session: Session, queue: TaskQueue, student: Student, content: bytes, assignment: str,
           filename: str = "layers.py", idempotency_key: str | None = None) -> tuple[Submission, bool]:
    """Store a queued row, commit, then enqueue; returns (row, created). A repeated key returns the first."""
    sha = hashlib.sha256(content).hexdigest()
    if idempotency_key and (old := _by_key(session, student.id, idempotency_key)):
        return _same_upload(old, sha), False
    row = Submission(student_id=student.id, assignment=assignment, filename=filename[:255],
                     content=content, sha256=sha, idempotency_key=idempotency_key)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same key raced in from a parallel request
        session.rollback()
        old = _by_key(session, student.id, idempotency_key or "")
        if old is None:
            raise
        return _same_upload(old, sha), False
    _send(session, queue, row.id)
    return row, True


def replay(*, session: Session, student: Student, key: str | None, content: bytes) -> Submission | None:
    """The earlier submission made with this Idempotency-Key (a retry is not rate-limited)."""
    old = _by_key(session, student.id, key) if key else None
    return _same_upload(old, hashlib.sha256(content).hexdigest()) if old else None


def _send(session: Session, queue: TaskQueue, submission_id: str) -> None:
    # The row is committed already: if the broker is down the sweeper sends it later, nothing is lost.
    try:
        queue.enqueue(submission_id)
    except Exception:  # noqa: BLE001
        log.warning("enqueue of %s failed; the sweeper will retry", submission_id, exc_info=True)
        return
    lifecycle.mark_enqueued(session, submission_id)


def _by_key(session: Session, student_id: int, key: str) -> Submission | None:
    return session.scalar(select(Submission).where(Submission.student_id == student_id,
                                                   Submission.idempotency_key == key))


def _same_upload(old: Submission, sha: str) -> Submission:
    if old.sha256 != sha:
        raise Problem(409, "Idempotency-Key reused", "this key was used for a different file",
                      type=PROBLEMS + "idempotency-conflict", submission_id=old.id)
    return old


def queue_position(session: Session, row: Submission) -> int:
    """1 for the next to be graded: queued rows received before this one, plus one."""
    ahead = session.scalar(select(func.count()).select_from(Submission).where(
        Submission.status == SubmissionStatus.QUEUED.value, Submission.received_at < row.received_at))
    return int(ahead or 0) + 1


def public(row: Submission, *, base_url: str, with_report: bool = True) -> dict[str, Any]:
    """The JSON the API answers for one submission."""
    link = f"{base_url}/api/v1/submissions/{row.id}"
    out: dict[str, Any] = {
        "id": row.id, "status": row.status, "assignment": row.assignment, "sha256": row.sha256,
        "received_at": _iso(row.received_at), "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at), "attempts": row.attempts, "score": row.score,
        "max_score": row.max_score, "error": row.error,
        "links": {"self": link, "events": f"{link}/events"},
    }
    if with_report:
        out["report"] = json.loads(row.report) if row.report else None
    return out


def _iso(t: Any) -> str | None:
    return t.isoformat() if t else None
