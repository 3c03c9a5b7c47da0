"""``/dashboard``'s course pages: overview, gradebook, CSV export, schedule and extensions.

Thin: every page first brings the counted grades up to date with the effective
schedule (:func:`service.grades.apply`, a no-op unless the schedule changed; an
LMS student whose counted grade it changed gets the new one), then reads one
page of aggregates (:mod:`api.dashboard.course`).
"""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer
from sqlalchemy import select

from api.dashboard import course, plots
from api.dashboard.views import CsrfDep, InstructorDep, render
from api.deps import QueueDep, SessionDep, SettingsDep
from service import grades
from service.db.grade_models import CountedGrade, Extension
from service.db.models import Student, Submission
from service.lms import delivery
from service.problems import Problem
from service.schedule import Schedule

router = APIRouter()


def overview_page(request: Request, web: dict, settings: SettingsDep, session: SessionDep, queue: QueueDep,
                  assignment: str) -> HTMLResponse:
    """``/dashboard`` (routed in :mod:`api.dashboard.routes`: an included router cannot have an empty path)."""
    assignment = assignment or settings.default_assignment
    schedule = _refreshed(session, settings, queue, assignment)
    o = course.overview(session, assignment)
    charts = {
        "histogram": plots.bars([f"{i * 10}%" for i in range(11)], o["histogram"],
                                title="Counted grade per student (% of max)"),
        "per_day": plots.bars([d[5:] for d, _ in o["per_day"]], [c for _, c in o["per_day"]],
                              title="Submissions per day", color=plots.PALETTE[3]),
    }
    return render(request, "overview.html", web, o=o, charts=charts, assignment=assignment,
                  assignments=settings.assignment_ids, schedule=schedule)


@router.get("/gradebook", response_class=HTMLResponse)
def gradebook(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep, queue: QueueDep,
              assignment: str = "", student: str = "", state: str = "", test: str = "", hint: str = "",
              sort: str = "student", order: str = "asc",
              page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    schedule = _refreshed(session, settings, queue, assignment)
    f = course.GradebookFilters(assignment=assignment, student=student, state=state, test=test, hint=hint,
                                sort=sort if sort in course.SORTS else "student",
                                order="desc" if order == "desc" else "asc", page=page)
    rows, total = course.gradebook(session, f)
    return render(request, "gradebook.html", web, rows=rows, total=total, f=f, schedule=schedule,
                  pages=max(1, -(-total // course.PAGE_SIZE)), tests=course.tests_of(session, assignment),
                  hints=course.hints_of(session, assignment),
                  states=course.STATES, query=dict(request.query_params), assignments=settings.assignment_ids)


@router.get("/export.csv")
def export(_w: InstructorDep, session: SessionDep, settings: SettingsDep, queue: QueueDep,
           assignment: str = "") -> Response:
    assignment = assignment or settings.default_assignment
    _refreshed(session, settings, queue, assignment)
    return Response(course.csv_export(session, assignment), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{assignment}-scores.csv"',
                             "Cache-Control": "no-store"})


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                  queue: QueueDep, assignment: str = "", error: str = "") -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    schedule = _refreshed(session, settings, queue, assignment)
    exts = session.execute(select(Extension, Student.name).join(Student, Student.id == Extension.student_id)
                           .where(Extension.assignment == assignment).order_by(Student.name)).all()
    return render(request, "schedule.html", web, assignment=assignment, s=schedule, extensions=exts,
                  overridden=grades.has_override(session, assignment), error=error,
                  assignments=settings.assignment_ids)


@router.post("/schedule")
def save_schedule(request: Request, web: InstructorDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
                  queue: QueueDep, assignment: Annotated[str, Form()], due_at: Annotated[str, Form()] = "",
                  closes_at: Annotated[str, Form()] = "", late_penalty_per_day: Annotated[str, Form()] = "",
                  late_days_max: Annotated[str, Form()] = "", counted: Annotated[str, Form()] = "latest",
                  reset: Annotated[str, Form()] = "") -> Response:
    """The dashboard's schedule (wins over the data file and the environment); ``reset`` removes it."""
    if reset:
        grades.set_override(session, assignment, None)
    else:
        try:
            schedule = Schedule(due_at=_when(due_at), closes_at=_when(closes_at),
                                late_penalty_per_day=float(late_penalty_per_day or 0),
                                late_days_max=int(late_days_max) if late_days_max.strip() else None,
                                counted=counted)  # type: ignore[arg-type]
        except (ValidationError, ValueError) as e:
            raise Problem(422, "Invalid schedule", str(e)[:500]) from None
        grades.set_override(session, assignment, schedule)
    _refreshed(session, settings, queue, assignment)
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


@router.post("/extensions")
def save_extension(_w: InstructorDep, _: CsrfDep, session: SessionDep, settings: SettingsDep, queue: QueueDep,
                   assignment: Annotated[str, Form()], student: Annotated[str, Form(min_length=1)],
                   due_at: Annotated[str, Form()] = "") -> Response:
    """Grant a student a later due date (an empty date withdraws it); their grade is recomputed."""
    _refreshed(session, settings, queue, assignment)
    who = session.scalar(select(Student).where(Student.name == student.strip()))
    if who is None:
        raise Problem(404, "Not found", f"no student named {student.strip()!r}")
    if grades.set_extension(session, assignment, who.id, _when(due_at)):
        _push(session, queue, assignment, [who.id])
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


@router.get("/students/{student_id}", response_class=HTMLResponse)
def student_page(request: Request, student_id: int, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                 queue: QueueDep, assignment: str = "", a: str = "", b: str = "") -> HTMLResponse:
    """A student for TAs: every attempt with its score and grade, the score history, a diff of two sources."""
    assignment = assignment or settings.default_assignment
    who = session.get(Student, student_id)
    if who is None:
        raise Problem(404, "Not found", f"no student {student_id}")
    _refreshed(session, settings, queue, assignment)
    schedule = grades.for_student(session, settings.schedule, assignment, student_id)
    rows = session.execute(select(Submission.id, Submission.received_at, Submission.status, Submission.score,
                                  Submission.max_score).where(Submission.student_id == student_id,
                                                              Submission.assignment == assignment)
                           .order_by(Submission.received_at)).all()
    attempts = [(r, schedule.late_days(r.received_at),
                 schedule.grade(r.score, r.received_at) if r.score is not None else None) for r in rows]
    scored = [(r.received_at.strftime("%m-%d %H:%M"), r.score) for r in rows if r.score is not None]
    chart = plots.bars([t for t, _ in scored], [s for _, s in scored], title="Score per attempt") if scored else None
    counted = session.get(CountedGrade, (assignment, student_id))
    return render(request, "student_detail.html", web, who=who, assignment=assignment, attempts=attempts,
                  chart=chart, counted=counted, diff=_diff(session, student_id, a, b), a=a, b=b)


def _diff(session: SessionDep, student_id: int, a: str, b: str) -> Markup | None:
    """The unified diff of two of this student's sources, highlighted; None unless both are theirs."""
    if not (a and b):
        return None
    old, new = (session.get(Submission, i) for i in (a, b))
    if old is None or new is None or {old.student_id, new.student_id} != {student_id}:
        raise Problem(404, "Not found", "pick two submissions of this student")
    lines = difflib.unified_diff(old.content.decode("utf-8", "replace").splitlines(keepends=True),
                                 new.content.decode("utf-8", "replace").splitlines(keepends=True),
                                 fromfile=f"{a[:8]} (received {old.received_at:%Y-%m-%d %H:%M})",
                                 tofile=f"{b[:8]} (received {new.received_at:%Y-%m-%d %H:%M})")
    text = "".join(lines) or "(the two sources are identical)\n"
    return Markup(highlight(text, DiffLexer(), HtmlFormatter(cssclass="source diff")))


def _refreshed(session: SessionDep, settings: SettingsDep, queue: QueueDep, assignment: str) -> Schedule:
    """The schedule in force (:func:`service.grades.apply`); the LMS gets every counted grade it changed."""
    schedule, changed = grades.apply(session, settings.schedule, assignment)
    _push(session, queue, assignment, changed)
    return schedule


def _push(session: SessionDep, queue: QueueDep, assignment: str, students: list[int]) -> None:
    for delivery_id in delivery.schedule_changed(session, assignment, students) if students else []:
        queue.deliver(delivery_id)


def _when(text: str) -> datetime | None:
    """A date-time from the form; without a zone it is UTC."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise Problem(422, "Invalid date", f"`{text}` is not a date and time (YYYY-MM-DDTHH:MM)") from None
