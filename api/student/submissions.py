"""``/student/upload`` and a submission's pages: its report (live while it is graded), the report behind a
shareable link, and the event streams the live view follows.

Students see their own submissions only, and hidden tests only after
``hidden_tests_release_at`` (:mod:`service.visibility`). The live view is the
pages' progress stream (:func:`api.sse_stream.progress_response`: states and a
count, no report), behind the session cookie instead of a bearer header so the
browser's EventSource can use it; a shared link's page follows it behind the
link itself (``/student/reports/{link}/events``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from api import progress, sse_stream
from api.auth import CsrfDep, SignedInStudentDep, WebSessionDep, bound_assignment, current_student
from api.deps import AsyncRedisDep, QueueDep, RateLimiterDep, SessionDep, SettingsDep
from api.pages import render
from service import grades, intake, report_view, visibility
from service.db.models import Submission
from service.problems import Problem
from service.report_links import submission_from_link
from service.settings import Settings

router = APIRouter(prefix="/student", include_in_schema=False)


@router.post("/upload")
async def upload(request: Request, web: WebSessionDep, _: CsrfDep, student: SignedInStudentDep,
                 settings: SettingsDep, session: SessionDep, queue: QueueDep, limiter: RateLimiterDep,
                 file: Annotated[UploadFile, File()], assignment: Annotated[str | None, Form()] = None,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    # The home page's form names the assignment it shows; an LTI launch's session is bound to its link's.
    chosen = intake.one_assignment({"your course's link": bound_assignment(web), "this form": assignment},
                                   fix="open the assignment again from your course's page")
    content = await file.read(settings.max_upload_bytes + 1)
    # A repeated click (same key) is neither limited nor doubled.
    done = await run_in_threadpool(
        intake.submit, session=session, queue=queue, settings=settings, limiter=limiter, student=student,
        content=content, size=file.size, filename=file.filename, idempotency_key=idempotency_key,
        assignment=chosen or settings.default_assignment)
    url = f"/student/submissions/{done.submission.id}"
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"id": done.submission.id, "url": url}, status_code=202)
    return RedirectResponse(url, status_code=303)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def report_page(request: Request, submission_id: str, web: WebSessionDep, settings: SettingsDep,
                session: SessionDep) -> Response:
    student = current_student(web, session)
    if student is None:  # a bookmarked report, signed out: sign in, then back here
        return RedirectResponse(f"/student?next={quote(request.url.path)}", status_code=303)
    row = session.get(Submission, submission_id)
    if row is None or row.student_id != student.id:
        return render(request, "student_missing.html", web, status_code=404)
    return _report(request, web, settings, session, row, earlier=_earlier(session, row),
                   events=f"/student/submissions/{row.id}/events")


@router.get("/reports/{link}", response_class=HTMLResponse)
def report_by_link(request: Request, link: str, web: WebSessionDep, settings: SettingsDep,
                   session: SessionDep) -> HTMLResponse:
    return _report(request, web, settings, session, _linked(settings, link, session), earlier=None,
                   events=f"/student/reports/{link}/events")


@router.get("/submissions/{submission_id}/events")
def events(submission_id: str, student: SignedInStudentDep, settings: SettingsDep, session: SessionDep,
           aredis: AsyncRedisDep) -> EventSourceResponse:
    row = session.get(Submission, submission_id)
    if row is None or row.student_id != student.id:
        raise Problem(404, "Not found", f"no submission {submission_id} of yours")
    return sse_stream.progress_response(submission_id, database_url=settings.database, aredis=aredis,
                                        request_session=session)


@router.get("/reports/{link}/events")
def events_by_link(link: str, settings: SettingsDep, session: SessionDep,
                   aredis: AsyncRedisDep) -> EventSourceResponse:
    """A shared link's page follows its submission too: the link that opens the page opens its progress."""
    row = _linked(settings, link, session)
    return sse_stream.progress_response(row.id, database_url=settings.database, aredis=aredis,
                                        request_session=session)


def _linked(settings: Settings, link: str, session: Session) -> Submission:
    """The submission a report link opens (its page and its stream alike), or a 404: forged, expired or
    revoked."""
    sid = submission_from_link(settings, link, session=session)
    row = session.get(Submission, sid) if sid else None
    if row is None:
        raise Problem(404, "Not found", "this report link is not valid")
    return row


def _report(request: Request, web: dict[str, Any], settings: Settings, session: Session, row: Submission, *,
            earlier: list[Submission] | None, events: str) -> HTMLResponse:
    """The student's report page; ``earlier`` (their other attempts) is None on a shared link's page;
    ``events`` is the address of its live progress (one stream for both, behind what opened the page).

    Beside the score: lateness, penalty and the grade that counts (the gradebook's, CSV's and LMS's number),
    unless hidden tests are still hidden (that grade would tell their points).
    """
    report = visibility.for_student(report_view.parse(row.report),
                                    release_at=settings.hidden_tests_release_at)
    grade = grades.of_submission(session, settings.schedule,
                                 row) if report and not report.get("hidden_count") else None
    several = len(settings.assignment_ids) > 1  # then each upload is named with its assignment
    mine = earlier is not None and bound_assignment(web) in (None, row.assignment)  # its home page opens
    return render(request, "student_report.html", web, row=row, report=report, earlier=earlier or [],
                  grade=grade, several=several, home=f"/student?assignment={quote(row.assignment)}"
                  if several and mine else "", **progress.context(session, row, events=events))


def _earlier(session: Session, row: Submission) -> list[Submission]:
    """The student's other recent submissions, newest first."""
    rows = session.scalars(select(Submission).where(Submission.student_id == row.student_id)
                           .order_by(Submission.received_at.desc()).limit(20))
    return [r for r in rows if r.id != row.id]
