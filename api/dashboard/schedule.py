"""``/dashboard/schedule``: an assignment's schedule (due date, late policy, close, which submission
counts) and the students' extensions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from api import forms
from api.auth import CsrfDep, InstructorDep
from api.deps import QueueDep, SessionDep, SettingsDep
from api.pages import render
from service import grades
from service.db.grade_models import Extension
from service.db.models import Student, utcnow
from service.lms import delivery
from service.problems import Problem
from service.schedule import Schedule

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                  queue: QueueDep, assignment: str = "") -> HTMLResponse:
    return _page(request, web, settings, session, queue, assignment or settings.default_assignment)


def _page(request: Request, web: dict, settings: SettingsDep, session: SessionDep, queue: QueueDep,
          assignment: str, status_code: int = 200, **refused: Any) -> HTMLResponse:
    """The page; after a refused form, ``refused`` holds its messages and what was typed (shown in place)."""
    schedule = refreshed(session, settings, queue, assignment)
    exts = session.execute(select(Extension, Student.name).join(Student, Student.id == Extension.student_id)
                           .where(Extension.assignment == assignment).order_by(Student.name)).all()
    return render(request, "schedule.html", web, status_code=status_code, assignment=assignment, s=schedule,
                  extensions=exts, overridden=grades.has_override(session, assignment),
                  assignments=settings.assignment_ids, **refused)


@router.post("/schedule")
async def save_schedule(request: Request, web: InstructorDep, _: CsrfDep, settings: SettingsDep,
                        session: SessionDep, queue: QueueDep) -> Response:
    """The dashboard's schedule (wins over the data file and the environment); ``reset`` removes it.

    A wrong field is shown beside it (422); a save that closes uploads now asks to be confirmed first.
    """
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    assignment = _known(form.get("assignment", ""), settings)
    if form.get("reset"):
        grades.set_override(session, assignment, None)
    else:
        in_force = grades.effective(session, settings.schedule, assignment).close()
        checked = forms.schedule(form, now=utcnow(), open_until=in_force)
        if checked.errors or checked.confirm:
            return _page(request, web, settings, session, queue, assignment, status_code=422, form=form,
                         errors=checked.errors, confirm_past_close=checked.confirm)
        grades.set_override(session, assignment, checked.value)
    refreshed(session, settings, queue, assignment)
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


@router.post("/extensions")
async def save_extension(request: Request, web: InstructorDep, _: CsrfDep, session: SessionDep,
                         settings: SettingsDep, queue: QueueDep) -> Response:
    """Grant a student a later due date (an empty date withdraws it); their grade is recomputed."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    assignment = _known(form.get("assignment", ""), settings)
    errors: dict[str, str] = {}
    names = list(session.scalars(select(Student.name).order_by(Student.name).limit(5000)))
    name = forms.student_name(form.get("student", ""), names, errors)
    due = forms.when(form.get("due_at", ""), errors, "due_at")
    if errors:
        return _page(request, web, settings, session, queue, assignment, status_code=422, ext_form=form,
                     ext_errors=errors)
    who = session.scalars(select(Student.id).where(Student.name == name)).one()
    refreshed(session, settings, queue, assignment)
    if grades.set_extension(session, assignment, who, due):
        push(session, queue, assignment, [who])
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


def _known(assignment: str, settings: SettingsDep) -> str:
    if assignment and assignment not in settings.assignment_ids:
        raise Problem(404, "Unknown assignment", f"{assignment!r} is not one of {', '.join(settings.assignment_ids)}")
    return assignment or settings.default_assignment


def refreshed(session: SessionDep, settings: SettingsDep, queue: QueueDep, assignment: str) -> Schedule:
    """The schedule in force (:func:`service.grades.apply`); the LMS gets every counted grade it changed."""
    schedule, changed = grades.apply(session, settings.schedule, assignment)
    push(session, queue, assignment, changed)
    return schedule


def push(session: SessionDep, queue: QueueDep, assignment: str, students: list[int]) -> None:
    for delivery_id in delivery.schedule_changed(session, assignment, students) if students else []:
        queue.deliver(delivery_id)
