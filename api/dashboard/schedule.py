"""``/dashboard/schedule``: an assignment's schedule (due date, late policy, close, which submission
counts) and the students' extensions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from api.auth import CsrfDep, InstructorDep
from api.deps import QueueDep, SessionDep, SettingsDep
from api.pages import render
from service import grades, schedule, schedule_changes
from service.db.grade_models import Extension
from service.db.models import Student
from service.problems import Problem
from service.schedule import Schedule

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                  assignment: str = "", error: str = "") -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    exts = session.execute(select(Extension, Student.name).join(Student, Student.id == Extension.student_id)
                           .where(Extension.assignment == assignment).order_by(Student.name)).all()
    return render(request, "schedule.html", web, assignment=assignment, extensions=exts, error=error,
                  s=schedule.effective(session, settings.schedule, assignment),
                  overridden=schedule.has_override(session, assignment),
                  assignments=settings.assignment_ids)


@router.post("/schedule")
def save_schedule(_w: InstructorDep, _: CsrfDep, settings: SettingsDep, session: SessionDep,
                  queue: QueueDep, assignment: Annotated[str, Form()], due_at: Annotated[str, Form()] = "",
                  closes_at: Annotated[str, Form()] = "", late_penalty_per_day: Annotated[str, Form()] = "",
                  late_days_max: Annotated[str, Form()] = "", counted: Annotated[str, Form()] = "latest",
                  reset: Annotated[str, Form()] = "") -> Response:
    """The dashboard's schedule (wins over the data file and the environment); ``reset`` removes it.

    The grades it changes are recomputed now, and the LMS gets the new ones.
    """
    if reset:
        schedule.set_override(session, assignment, None)
    else:
        try:
            saved = Schedule(due_at=_when(due_at), closes_at=_when(closes_at),
                                late_penalty_per_day=float(late_penalty_per_day or 0),
                                late_days_max=int(late_days_max) if late_days_max.strip() else None,
                                counted=counted)  # type: ignore[arg-type]
        except (ValidationError, ValueError) as e:
            raise Problem(422, "Invalid schedule", str(e)[:500]) from None
        schedule.set_override(session, assignment, saved)
    schedule_changes.apply(session=session, queue=queue, settings=settings, assignment=assignment)
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


@router.post("/extensions")
def save_extension(_w: InstructorDep, _: CsrfDep, session: SessionDep, queue: QueueDep,
                   assignment: Annotated[str, Form()], student: Annotated[str, Form(min_length=1)],
                   due_at: Annotated[str, Form()] = "") -> Response:
    """Grant a student a later due date (an empty date withdraws it); their grade is recomputed (and sent)."""
    who = session.scalar(select(Student).where(Student.name == student.strip()))
    if who is None:
        raise Problem(404, "Not found", f"no student named {student.strip()!r}")
    if grades.set_extension(session, assignment, who.id, _when(due_at)):
        schedule_changes.send(session=session, queue=queue, assignment=assignment, students=[who.id])
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


def _when(text: str) -> datetime | None:
    """A date-time from the form; without a zone it is UTC."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise Problem(422, "Invalid date", f"`{text}` is not a date and time (YYYY-MM-DDTHH:MM)") from None
