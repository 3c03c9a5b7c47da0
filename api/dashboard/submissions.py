"""``/dashboard/submissions``: the filtered table of every submission, one submission's page (report, source,
training curves, LMS deliveries, its progress followed live), and what an instructor does there: regrade,
resend, revoke report links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse

from api import progress, sse_stream
from api.auth import CsrfDep, InstructorDep
from api.dashboard import plots
from api.deps import AsyncRedisDep, QueueDep, SessionDep, SettingsDep
from api.pages import render
from api.paginate import Page, paginate, sort
from service import grades, lifecycle, report_links, report_view
from service.db.lms_models import LmsDelivery, LmsLink
from service.db.models import Student, Submission
from service.lms import delivery
from service.problems import Problem

router = APIRouter(prefix="/dashboard", include_in_schema=False)
SORTS = {"received": Submission.received_at, "score": Submission.score, "student": Student.name,
         "status": Submission.status}
PAGE_SIZE = 25


@dataclass
class Filters:
    """The submissions table's query string."""

    student: str = ""
    status: str = ""
    assignment: str = ""
    min_score: float | None = None
    max_score: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "received"
    order: str = "desc"
    page: int = 1

    def apply(self, q: Select) -> Select:
        conds = [c for c in (
            Student.name.ilike(f"%{self.student}%") if self.student else None,
            Submission.status == self.status if self.status else None,
            Submission.assignment == self.assignment if self.assignment else None,
            Submission.score >= self.min_score if self.min_score is not None else None,
            Submission.score <= self.max_score if self.max_score is not None else None,
            Submission.received_at >= self.since if self.since else None,
            Submission.received_at < self.until + timedelta(days=1) if self.until else None,
        ) if c is not None]
        return q.where(and_(*conds)) if conds else q


@router.get("/submissions", response_class=HTMLResponse)
def submissions_table(request: Request, web: InstructorDep, session: SessionDep,
                      student: str = "", status: str = "", assignment: str = "",
                      min_score: str = "", max_score: str = "", since: str = "", until: str = "",
                      sort: str = "received", order: str = "desc",
                      page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    # A browser sends every field of the filter form, the empty ones as "": those mean "any".
    f = Filters(student=student, status=status, assignment=assignment, min_score=_number(min_score),
                max_score=_number(max_score), since=_day(since), until=_day(until), sort=sort,
                order=order, page=page)
    found = submissions(session, f)
    name = "_rows.html" if request.headers.get("x-fragment") == "rows" else "submissions.html"
    return render(request, name, web, rows=found.rows, total=found.total, f=f, pages=found.pages,
                  query=dict(request.query_params))


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: str, web: InstructorDep, session: SessionDep,
                    settings: SettingsDep) -> HTMLResponse:
    row = _submission(session, submission_id)
    report = report_view.parse(row.report)
    shown = report.to_dict() if report else None  # everything, hidden tests included
    deliveries = session.execute(select(LmsDelivery, LmsLink).join(LmsLink, LmsLink.id == LmsDelivery.link_id)
                                 .where(LmsDelivery.submission_id == row.id).order_by(LmsDelivery.id)).all()
    return render(request, "submission.html", web, row=row, student=session.get(Student, row.student_id),
                  report=shown, source=source_html(row.content), charts=curve_charts(shown),
                  deliveries=deliveries,
                  report_link=report_links.report_link(settings, row.id, session=session),
                  grade=grades.of_submission(session, settings.schedule, row),
                  **progress.context(session, row, events=f"/dashboard/submissions/{row.id}/events"))


@router.get("/submissions/{submission_id}/events")
def events(submission_id: str, _w: InstructorDep, session: SessionDep, settings: SettingsDep,
           aredis: AsyncRedisDep) -> EventSourceResponse:
    """The submission page's live progress: the students' pages' stream, behind the instructor's session."""
    _submission(session, submission_id)
    return sse_stream.progress_response(submission_id, database_url=settings.database, aredis=aredis,
                                        request_session=session)


@router.post("/submissions/{submission_id}/report-links/revoke")
def revoke_report_links(submission_id: str, _w: InstructorDep, _: CsrfDep, session: SessionDep) -> Response:
    _submission(session, submission_id)
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
    latest = [i for i, status in latest_per_student(session, assignment) if status in lifecycle.FINISHED]
    return render(request, "confirm.html", web, assignment=assignment, count=len(latest))


@router.post("/regrade-all")
def regrade_all(_w: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep,
                assignment: Annotated[str, Form()]) -> Response:
    ids = [i for i, _ in latest_per_student(session, assignment)]
    n = sum(lifecycle.regrade(session, queue, i) for i in ids)
    return RedirectResponse(f"/dashboard/submissions?assignment={assignment}&regraded={n}", status_code=303)


@router.post("/deliveries/{delivery_id}/resend")
def resend(delivery_id: int, _w: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep) -> Response:
    d = session.get(LmsDelivery, delivery_id)
    if d is None or not delivery.resend(session, delivery_id):
        raise Problem(404, "Not found")
    queue.deliver(delivery_id)
    return RedirectResponse(f"/dashboard/submissions/{d.submission_id}#deliveries", status_code=303)


def submissions(session: Session, f: Filters) -> Page:
    """One page of (submission, student name) rows matching ``f``."""
    base = f.apply(select(Submission, Student.name).join(Student, Student.id == Submission.student_id))
    return paginate(session, base, page=f.page, size=PAGE_SIZE,
                    order_by=[sort(SORTS.get(f.sort, Submission.received_at), f.order), Submission.id])


def latest_per_student(session: Session, assignment: str) -> list[tuple[str, str]]:
    """(id, status) of each student's newest submission of this assignment."""
    newest = (select(Submission.student_id, func.max(Submission.received_at).label("at"))
              .where(Submission.assignment == assignment).group_by(Submission.student_id).subquery())
    return [(i, st) for i, st in session.execute(select(Submission.id, Submission.status).join(newest, and_(
        Submission.student_id == newest.c.student_id, Submission.received_at == newest.c.at,
        Submission.assignment == assignment)))]


def source_html(content: bytes) -> Markup:
    fmt = HtmlFormatter(linenos="table", cssclass="source")
    return Markup(highlight(content.decode("utf-8", "replace"), PythonLexer(), fmt))


def curve_charts(report: dict[str, Any] | None) -> list[tuple[str, list[Markup]]]:
    """Per test with ``data["curves"]`` (network → metric → values): its name and one line chart per
    metric."""
    groups = []
    for t in (report or {}).get("tests", []):
        curves = (t.get("data") or {}).get("curves")
        if not isinstance(curves, dict):
            continue
        by_metric: dict[str, dict[str, list[float]]] = {}
        for network, metrics in curves.items():
            if isinstance(metrics, list):  # one dict per epoch
                names = [k for k in (metrics[0] if metrics else {}) if k != "epoch"]
                metrics = {k: [e.get(k) for e in metrics] for k in names}
            for metric, values in (metrics or {}).items():
                if isinstance(values, list) and values:
                    by_metric.setdefault(metric, {})[network] = values
        charts = [plots.lines(series, title=f"{metric} per epoch") for metric, series in by_metric.items()]
        if charts:
            groups.append((str(t.get("name", "")), charts))
    return groups


def _submission(session: Session, submission_id: str) -> Submission:
    row = session.get(Submission, submission_id)
    if row is None:
        raise Problem(404, "Not found", f"no submission {submission_id}")
    return row


def _number(text: str) -> float | None:
    """A number filter of the form: empty means any."""
    try:
        return float(text) if text.strip() else None
    except ValueError:
        raise Problem(422, "Invalid filter", f"`{text}` is not a number") from None


def _day(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text.strip() else None
    except ValueError:
        raise Problem(422, "Invalid filter", f"`{text}` is not a date (YYYY-MM-DD)") from None
