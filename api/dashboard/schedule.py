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
from service import grades, schedule, schedule_changes
from service.db.grade_models import Extension
from service.db.models import Student, utcnow
from service.problems import Problem

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                  assignment: str = "") -> HTMLResponse:
    return _page(request, web, settings, session, assignment or settings.default_assignment)


def _page(request: Request, web: dict, settings: SettingsDep, session: SessionDep, assignment: str,
          status_code: int = 200, **refused: Any) -> HTMLResponse:
    """The page; after a refused form, ``refused`` holds its messages and what was typed (shown in place)."""
    exts = session.execute(select(Extension, Student.name).join(Student, Student.id == Extension.student_id)
                           .where(Extension.assignment == assignment).order_by(Student.name)).all()
    return render(request, "schedule.html", web, status_code=status_code, assignment=assignment, extensions=exts,
                  s=schedule.effective(session, settings.schedule, assignment),
                  overridden=schedule.has_override(session, assignment),
                  assignments=settings.assignment_ids, **refused)


@router.post("/schedule")
async def save_schedule(request: Request, web: InstructorDep, _: CsrfDep, settings: SettingsDep,
                        session: SessionDep, queue: QueueDep) -> Response:
    """The dashboard's schedule (wins over the data file and the environment); ``reset`` removes it.

    A wrong field is shown beside it (422); a save that closes uploads now asks to be confirmed first.
    The grades it changes are recomputed now, and the LMS gets the new ones.
    """
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    assignment = _known(form.get("assignment", ""), settings)
    if form.get("reset"):
        schedule.set_override(session, assignment, None)
    else:
        in_force = schedule.effective(session, settings.schedule, assignment).close()
        checked = forms.schedule(form, now=utcnow(), open_until=in_force)
        if checked.errors or checked.confirm:
            return _page(request, web, settings, session, assignment, status_code=422, form=form,
                         errors=checked.errors, confirm_past_close=checked.confirm)
        schedule.set_override(session, assignment, checked.value)
    schedule_changes.apply(session=session, queue=queue, settings=settings, assignment=assignment)
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


@router.post("/extensions")
async def save_extension(request: Request, web: InstructorDep, _: CsrfDep, session: SessionDep,
                         settings: SettingsDep, queue: QueueDep) -> Response:
    """Grant a student a later due date (an empty date withdraws it); their grade is recomputed (and sent)."""
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    assignment = _known(form.get("assignment", ""), settings)
    errors: dict[str, str] = {}
    names = list(session.scalars(select(Student.name).order_by(Student.name).limit(5000)))
    name = forms.student_name(form.get("student", ""), names, errors)
    due = forms.when(form.get("due_at", ""), errors, "due_at")
    if errors:
        return _page(request, web, settings, session, assignment, status_code=422, ext_form=form, ext_errors=errors)
    who = session.scalars(select(Student.id).where(Student.name == name)).one()
    if grades.set_extension(session, assignment, who, due):
        schedule_changes.send(session=session, queue=queue, assignment=assignment, students=[who])
    return RedirectResponse(f"/dashboard/schedule?assignment={assignment}&saved=1", status_code=303)


def _known(assignment: str, settings: SettingsDep) -> str:
    if assignment and assignment not in settings.assignment_ids:
        raise Problem(404, "Unknown assignment", f"{assignment!r} is not one of {', '.join(settings.assignment_ids)}")
    return assignment or settings.default_assignment
