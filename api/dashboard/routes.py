"""``/dashboard``: the instructor's pages. Thin: read the query, call queries or the service layer, render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.dashboard import auth, course_routes, queries, queue_health
from api.dashboard.views import (
    CsrfDep,
    InstructorDep,
    WebSessionDep,
    curve_charts,
    render,
    report_of,
    source_html,
)
from api.deps import QueueDep, SessionDep, SettingsDep
from api.login_throttle import LoginThrottleDep
from service import lifecycle, report_links, sign_in_codes
from service.db.lms_models import LmsDelivery, LmsLink
from service.db.models import Student, Submission, Token, utcnow
from service.lms import delivery
from service.passwords import check_password
from service.problems import Problem
from service.tokens import create_token, digest

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, web: WebSessionDep, next: str = "/dashboard") -> HTMLResponse:
    return render(request, "login.html", web, next=next if next.startswith("/dashboard") else "/dashboard")


@router.post("/login")
def login(request: Request, settings: SettingsDep, web: WebSessionDep, _: CsrfDep, throttle: LoginThrottleDep,
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/dashboard") -> Response:
    keys = throttle.keys(request, account="instructor")  # one password, guessed from many addresses
    if wait := throttle.wait(keys):
        refused = render(request, "login.html", web, status_code=429, next=next,
                         error=f"Too many failed sign-ins: try again in {wait} s.")
        refused.headers["Retry-After"] = str(wait)
        return refused
    if not check_password(settings.instructor_password.get_secret_value(), password):
        throttle.failed(keys)
        return render(request, "login.html", web, status_code=401, next=next, error="Wrong password.")
    response = RedirectResponse(next if next.startswith("/dashboard") else "/dashboard", status_code=303)
    auth.start(response, settings, role="instructor")
    return response


@router.post("/logout")
def logout(_: CsrfDep) -> Response:
    response = RedirectResponse("/dashboard/login", status_code=303)
    auth.end(response)
    return response


@router.get("", response_class=HTMLResponse)
def overview(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep, queue: QueueDep,
             assignment: str = "") -> HTMLResponse:
    return course_routes.overview_page(request, web, settings, session, queue, assignment)


@router.get("/submissions", response_class=HTMLResponse)
def submissions_table(request: Request, web: InstructorDep, session: SessionDep,
                      student: str = "", status: str = "", assignment: str = "",
                      min_score: str = "", max_score: str = "", since: str = "", until: str = "",
                      sort: str = "received", order: str = "desc",
                      page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    # A browser sends every field of the filter form, the empty ones as "": those mean "any".
    f = queries.Filters(student=student, status=status, assignment=assignment, min_score=_num(min_score),
                        max_score=_num(max_score), since=_day(since), until=_day(until), sort=sort,
                        order=order, page=page)
    rows, total = queries.page(session, f)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    name = "_rows.html" if request.headers.get("x-fragment") == "rows" else "submissions.html"
    return render(request, name, web, rows=rows, total=total, f=f, pages=pages,
                  query=dict(request.query_params))


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: str, web: InstructorDep, session: SessionDep,
                    settings: SettingsDep) -> HTMLResponse:
    row = session.get(Submission, submission_id)
    if row is None:
        raise Problem(404, "Not found", f"no submission {submission_id}")
    report = report_of(row)
    deliveries = session.execute(select(LmsDelivery, LmsLink).join(LmsLink, LmsLink.id == LmsDelivery.link_id)
                                 .where(LmsDelivery.submission_id == row.id).order_by(LmsDelivery.id)).all()
    return render(request, "submission.html", web, row=row, student=session.get(Student, row.student_id),
                  report=report, source=source_html(row.content), charts=curve_charts(report),
                  deliveries=deliveries, report_link=report_links.report_link(settings, row.id, session=session))


@router.post("/submissions/{submission_id}/report-links/revoke")
def revoke_report_links(submission_id: str, _w: InstructorDep, _: CsrfDep, session: SessionDep) -> Response:
    if session.get(Submission, submission_id) is None:
        raise Problem(404, "Not found", f"no submission {submission_id}")
    report_links.revoke(session, submission_id)
    return RedirectResponse(f"/dashboard/submissions/{submission_id}?links_revoked=1", status_code=303)


@router.post("/submissions/{submission_id}/regrade")
def regrade_one(submission_id: str, _w: InstructorDep, _: CsrfDep, session: SessionDep,
                queue: QueueDep) -> Response:
    if not lifecycle.regrade(session, queue, submission_id):
        raise Problem(409, "Not finished", "only a graded or failed submission can be regraded")
    return RedirectResponse(f"/dashboard/submissions/{submission_id}?regraded=1", status_code=303)


@router.get("/regrade-all", response_class=HTMLResponse)
def regrade_all_confirm(request: Request, web: InstructorDep, session: SessionDep, settings: SettingsDep,
                        assignment: str = "") -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    latest = [i for i, status in queries.latest_per_student(session, assignment) if status in lifecycle.FINISHED]
    return render(request, "confirm.html", web, assignment=assignment, count=len(latest))


@router.post("/regrade-all")
def regrade_all(_w: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep,
                assignment: Annotated[str, Form()]) -> Response:
    ids = [i for i, _ in queries.latest_per_student(session, assignment)]
    n = sum(lifecycle.regrade(session, queue, i) for i in ids)
    return RedirectResponse(f"/dashboard/submissions?assignment={assignment}&regraded={n}", status_code=303)


@router.get("/students", response_class=HTMLResponse)
def students(request: Request, web: InstructorDep, session: SessionDep, settings: SettingsDep,
             page: Annotated[int, Query(ge=1)] = 1, tokens_page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    rows, total = queries.students_page(session, page)
    tokens, tokens_total = queries.tokens_page(session, tokens_page)
    return render(request, "students.html", web, rows=rows, tokens=tokens, base_url=settings.base_url,
                  page=page, pages=queries.pages(total), total=total, tokens_page=tokens_page,
                  tokens_pages=queries.pages(tokens_total))


@router.post("/students/tokens", response_class=HTMLResponse)
def create_student_token(request: Request, web: InstructorDep, _: CsrfDep, session: SessionDep,
                         settings: SettingsDep, student: Annotated[str, Form(min_length=1, max_length=200)]
                         ) -> HTMLResponse:
    token = create_token(session=session, student=student.strip())
    # Shown once, on this response only (never in a URL or a log).
    return render(request, "token_created.html", web, student=student.strip(), token=token,
                  link=_sign_in_link(session, settings, token))


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: int, _w: InstructorDep, _: CsrfDep, session: SessionDep) -> Response:
    row = session.get(Token, token_id)
    if row is None:
        raise Problem(404, "Not found")
    row.revoked_at = row.revoked_at or utcnow()
    session.commit()
    return RedirectResponse("/dashboard/students", status_code=303)


@router.post("/deliveries/{delivery_id}/resend")
def resend(delivery_id: int, _w: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep) -> Response:
    d = session.get(LmsDelivery, delivery_id)
    if d is None or not delivery.resend(session, delivery_id):
        raise Problem(404, "Not found")
    queue.deliver(delivery_id)
    return RedirectResponse(f"/dashboard/submissions/{d.submission_id}#deliveries", status_code=303)


@router.get("/live.json")
async def live(_w: InstructorDep, session: SessionDep, settings: SettingsDep,
               submission: str = "") -> JSONResponse:
    """Counts, queue and workers; with ``submission``, that one's status (its page reloads on a change)."""
    health = await run_in_threadpool(queue_health.queue_health, settings.redis_url, settings.queue)
    row = session.get(Submission, submission) if submission else None
    return JSONResponse({"version": queries.version(session), "counts": queries.status_counts(session),
                         "oldest_queued_s": queries.oldest_queued_s(session), "queue": health,
                         "submission": row.status if row else None})


def _sign_in_link(session: SessionDep, settings: SettingsDep, token: str) -> str:
    """A one-time, expiring sign-in link for this token (the token itself never goes in a URL)."""
    token_id = session.scalars(select(Token.id).where(Token.token_sha256 == digest(token))).one()
    return sign_in_codes.link(settings, sign_in_codes.make(settings, token_id))


def _num(text: str) -> float | None:
    try:
        return float(text) if text.strip() else None
    except ValueError:
        raise Problem(422, "Invalid filter", f"`{text}` is not a number") from None


def _day(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text.strip() else None
    except ValueError:
        raise Problem(422, "Invalid filter", f"`{text}` is not a date (YYYY-MM-DD)") from None


router.include_router(course_routes.router)
