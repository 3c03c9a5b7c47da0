"""``/student``: sign in (a pasted token, or a sign-in link's one-time code), upload, watch it graded, read reports.

Students see their own submissions only, and hidden tests only after
``hidden_tests_release_at`` (:mod:`service.visibility`). The live view
is the service's own event stream (:func:`api.sse_stream.stream`), behind the
session cookie instead of a bearer header so the browser's EventSource can use it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sse_starlette import EventSourceResponse

from api import sse_stream
from api.dashboard import auth, plots
from api.dashboard.views import CsrfDep, WebSessionDep, current_student, render
from api.deps import AsyncRedisDep, QueueDep, RateLimiterDep, SessionDep, SettingsDep
from api.login_throttle import LoginThrottleDep
from service import grades, intake, report_view, sign_in_codes, visibility
from service.db.models import Student, Submission
from service.problems import Problem
from service.report_links import submission_from_link
from service.tokens import authenticate, digest

router = APIRouter(prefix="/student", include_in_schema=False)


def _signed_in(settings: Any, student_id: int, token_sha256: str, to: str = "/student") -> Response:
    response = RedirectResponse(_back_to(to), status_code=303)
    auth.start(response, settings, role="student", sid=student_id, token=token_sha256)
    return response


def _used_codes(request: Request) -> sign_in_codes.UsedCodes:
    state = request.app.state
    if getattr(state, "used_codes", None) is None:
        state.used_codes = sign_in_codes.UsedCodes(state.settings.redis_url)
    return state.used_codes  # type: ignore[no-any-return]


def _throttled(request: Request, web: dict[str, Any], throttle: Any, page: str) -> Response | None:
    """The page with a 429 while this address has failed too often (it may not even try)."""
    if not (wait := throttle.wait(throttle.keys(request))):
        return None
    response = render(request, page, web, status_code=429, error=f"Too many failed sign-ins: try again in {wait} s.")
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("", response_class=HTMLResponse)
def home(request: Request, web: WebSessionDep, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    student = current_student(web, session)
    if student is None:
        return render(request, "student_login.html", web, next=_back_to(request.query_params.get("next", "")))
    rows = session.scalars(select(Submission).where(Submission.student_id == student.id)
                           .order_by(Submission.received_at.desc()).limit(50)).all()
    course = grades.student_view(session, settings.schedule, _assignment(web, settings), student.id)
    if course.counted is not None and _hidden_points_differ(rows, settings):
        # Which submission counts, or that an earlier one scored higher, would tell hidden tests' points.
        course = replace(course, counted=None)
    scores = _visible_scores(rows, settings)
    history = [(r.received_at.strftime("%m-%d %H:%M"), scores[r.id][0]) for r in reversed(rows) if r.id in scores]
    chart = plots.bars([t for t, _ in history], [s for _, s in history], title="Your score per attempt (visible tests)",
                       color=plots.PALETTE[2]) if len(history) > 1 else None
    return render(request, "student_home.html", web, student=student, rows=rows, course=course, scores=scores,
                  chart=chart)


def _visible_scores(rows: Sequence[Submission], settings: Any) -> dict[str, tuple[float, float]]:
    """Each graded attempt's score and maximum as its report page shows them (visible tests only)."""
    out = {}
    for r in rows:
        shown = visibility.for_student(report_view.parse(r.report), release_at=settings.hidden_tests_release_at)
        if r.status == "graded" and shown is not None:
            out[r.id] = (float(shown["score"]), float(shown["max_score"]))
    return out


def _hidden_points_differ(rows: Sequence[Submission], settings: Any) -> bool:
    """Whether the student's graded submissions differ in tests they may not see yet."""
    seen = set()
    for report in (report_view.parse(r.report) for r in rows):
        if report is not None:
            seen.add(tuple((t.number, t.score) for t in report.tests
                           if visibility.hidden(t.visibility, release_at=settings.hidden_tests_release_at)))
    return len(seen) > 1


@router.post("/login")
def login(request: Request, web: WebSessionDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
          throttle: LoginThrottleDep, token: Annotated[str, Form()],
          next: Annotated[str, Form(max_length=500)] = "/student") -> Response:
    if (refused := _throttled(request, web, throttle, "student_login.html")) is not None:
        return refused
    student = authenticate(session=session, token=token.strip())
    if student is None:
        throttle.failed(throttle.keys(request))
        return render(request, "student_login.html", web, status_code=401, error="Unknown or revoked token.",
                      next=_back_to(next))
    return _signed_in(settings, student.id, digest(token.strip()), to=next)


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, web: WebSessionDep) -> HTMLResponse:
    """A sign-in link's page: the code is after ``#`` (never sent here); its button POSTs it."""
    return render(request, "student_signin.html", web)


@router.post("/signin")
def signin(request: Request, web: WebSessionDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
           throttle: LoginThrottleDep, code: Annotated[str, Form(max_length=500)]) -> Response:
    if (refused := _throttled(request, web, throttle, "student_signin.html")) is not None:
        return refused
    token = sign_in_codes.redeem(session=session, settings=settings, code=code, used=_used_codes(request))
    if token is None:
        throttle.failed(throttle.keys(request))
        return render(request, "student_signin.html", web, status_code=401,
                      error="This sign-in link is not valid (any more): it works once and expires.")
    return _signed_in(settings, token.student_id, token.token_sha256)


@router.post("/logout")
def logout(_: CsrfDep) -> Response:
    response = RedirectResponse("/student", status_code=303)
    auth.end(response)
    return response


@router.post("/upload")
async def upload(request: Request, web: WebSessionDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
                 queue: QueueDep, limiter: RateLimiterDep, file: Annotated[UploadFile, File()],
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    student = _require(web, session)
    content = await file.read(settings.max_upload_bytes + 1)
    intake.check_filename(file.filename)
    intake.validate(content, max_bytes=settings.max_upload_bytes, size=file.size)
    assignment = _assignment(web, settings)
    if intake.replay(session=session, student=student, key=idempotency_key, content=content) is None:
        grades.refuse_if_closed(session, settings.schedule, assignment, student.id)
        limiter.hit(f"student:{student.id}")  # a repeated click (same key) is neither limited nor doubled
    row, _created = intake.create(session=session, queue=queue, student=student, content=content,
                                       assignment=assignment,
                                       filename=file.filename or "layers.py", idempotency_key=idempotency_key,
                                       max_waiting=settings.max_waiting_per_student)
    url = f"/student/submissions/{row.id}"
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"id": row.id, "url": url}, status_code=202)
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
    return _report(request, web, settings, row, live=True)


@router.get("/reports/{link}", response_class=HTMLResponse)
def report_by_link(request: Request, link: str, web: WebSessionDep, settings: SettingsDep,
                   session: SessionDep) -> HTMLResponse:
    sid = submission_from_link(settings, link, session=session)
    row = session.get(Submission, sid) if sid else None
    if row is None:
        raise Problem(404, "Not found", "this report link is not valid")
    return _report(request, web, settings, row, live=False)


@router.get("/submissions/{submission_id}/events")
def events(submission_id: str, web: WebSessionDep, settings: SettingsDep, session: SessionDep,
           aredis: AsyncRedisDep) -> EventSourceResponse:
    _own(session, _require(web, session), submission_id)
    events = sse_stream.stream(submission_id, database_url=settings.database, aredis=aredis)
    return sse_stream.response(_without_reports(events))


async def _without_reports(events: AsyncIterator[sse_stream.Event]) -> AsyncIterator[sse_stream.Event]:
    """The page reloads the (redacted) report itself: the raw one must not reach the browser.

    Per-test events are reduced to a count, since hidden tests' names and scores would leak.
    """
    done = 0
    async for name, data in events:
        if name in ("graded", "failed"):  # a failure's error may name hidden tests
            data = {"id": data["id"]}
        elif name == "test":
            done += 1
            data = {"done": done}
        yield name, data


def _report(request: Request, web: dict[str, Any], settings: Any, row: Submission, *, live: bool) -> HTMLResponse:
    report = visibility.for_student(report_view.parse(row.report), release_at=settings.hidden_tests_release_at)
    earlier = []
    if live:
        earlier = [r for r in _history(request, row) if r.id != row.id]
    return render(request, "student_report.html", web, row=row, report=report, live=live, earlier=earlier,
                  total_tests=_test_count(row.assignment))


def _test_count(assignment: str) -> int | None:
    """How many tests a submission of this assignment runs (progress shows "N of M tests")."""
    from grader.assignments import UnknownAssignment, load

    try:
        return len(load(assignment).tests)
    except UnknownAssignment:
        return None


def _history(request: Request, row: Submission) -> list[Submission]:
    from sqlalchemy.orm import object_session

    s = object_session(row)
    assert s is not None
    return list(s.scalars(select(Submission).where(Submission.student_id == row.student_id)
                          .order_by(Submission.received_at.desc()).limit(20)))


def _assignment(web: dict[str, Any], settings: Any) -> str:
    """The session's assignment (an LTI launch names one), else the default."""
    chosen = web.get("assignment")
    return str(chosen) if chosen in settings.assignment_ids else str(settings.default_assignment)


def _back_to(path: str) -> str:
    """Where to go after signing in: a student page asked for, never another site."""
    return path if path.startswith("/student") and not path.startswith("//") and "\\" not in path else "/student"


def _require(web: dict[str, Any], session: SessionDep) -> Student:
    student = current_student(web, session)
    if student is None:
        raise Problem(401, "Unauthorized", "sign in on /student with your token first")
    return student


def _own(session: SessionDep, student: Student, submission_id: str) -> Submission:
    row = session.get(Submission, submission_id)
    if row is None or row.student_id != student.id:
        raise Problem(404, "Not found", f"no submission {submission_id} of yours")
    return row
