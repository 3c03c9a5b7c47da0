"""``/api/v1/submissions``: upload, read, list, and follow a submission's progress."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sse_starlette import EventSourceResponse

from api import sse_stream
from api.auth import StudentDep
from api.deps import AsyncRedisDep, QueueDep, RateLimiterDep, SessionDep, SettingsDep
from api.responses import submission_body, submission_body_for_student
from service import intake
from service.db.models import Student, Submission
from service.problems import Problem
from service.settings import Settings

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])


@router.post("", status_code=202, summary="Upload a layers.py to be graded")
def create_submission(  # sync on purpose: FastAPI runs it in the threadpool, off the event loop
    settings: SettingsDep, session: SessionDep, queue: QueueDep, limiter: RateLimiterDep,
    student: StudentDep, file: Annotated[UploadFile, File(description="your layers.py")],
    assignment: Annotated[str | None, Query(description="the assignment id (or the form field)")] = None,
    assignment_field: Annotated[str | None, Form(alias="assignment", description="the assignment id")] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    # ``?assignment=`` or ``-F assignment=``; both with different values is refused, not guessed.
    named = intake.one_assignment({"the query": assignment, "the form field": assignment_field},
                                  fix="send one")
    done = intake.submit(session=session, queue=queue, settings=settings, limiter=limiter, student=student,
                         content=file.file.read(settings.max_upload_bytes + 1),  # never more than we keep
                         size=file.size, filename=file.filename, idempotency_key=idempotency_key,
                         assignment=named or settings.default_assignment)
    body = _body(done.submission, student, settings, with_report=False)  # a replay may answer a graded one
    return JSONResponse(body, status_code=202 if done.created else 200,
                        headers={"Location": body["links"]["self"]})


@router.get("", summary="Your submissions, newest first")
def list_submissions(settings: SettingsDep, session: SessionDep, student: StudentDep,
                     limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict]:
    rows = session.scalars(select(Submission).where(Submission.student_id == student.id)
                           .order_by(Submission.received_at.desc()).limit(limit))
    return [_body(r, student, settings, with_report=False) for r in rows]


@router.get("/{submission_id}", summary="Status, and the report once graded")
def get_submission(submission_id: str, settings: SettingsDep, session: SessionDep,
                   student: StudentDep) -> dict:
    return _body(_visible(session, submission_id, student), student, settings)


@router.get("/{submission_id}/events", summary="Server-Sent Events: queued, running, test, graded")
def events(submission_id: str, settings: SettingsDep, session: SessionDep, student: StudentDep,
           aredis: AsyncRedisDep) -> EventSourceResponse:
    _visible(session, submission_id, student)
    redact = sse_stream.redact_nothing if student.is_instructor else \
        sse_stream.redact_hidden(release_at=settings.hidden_tests_release_at)
    return sse_stream.response(sse_stream.stream(submission_id, database_url=settings.database, aredis=aredis,
                                                 redact=redact), request_session=session)


def _body(row: Submission, student: Student, settings: Settings, *, with_report: bool = True) -> dict:
    """All of it for an instructor; a student's view (no trace of hidden tests) otherwise."""
    if student.is_instructor:
        return submission_body(row, base_url=settings.base_url, with_report=with_report)
    return submission_body_for_student(row, base_url=settings.base_url, with_report=with_report,
                                       release_at=settings.hidden_tests_release_at)


def _visible(session: SessionDep, submission_id: str, student: Student) -> Submission:
    row = session.get(Submission, submission_id)
    # Someone else's submission answers 404 too, so ids cannot be probed.
    if row is None or (row.student_id != student.id and not student.is_instructor):
        raise Problem(404, "Not found", f"no submission {submission_id} of yours")
    return row
