"""``/dashboard/students``: the students and their tokens (create, revoke, a one-time sign-in link), and
``/dashboard/students/{id}``, one student for TAs: every attempt, the score history, a diff of two sources."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import DiffLexer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import forms
from api.auth import CsrfDep, InstructorDep
from api.dashboard import plots
from api.deps import SessionDep, SettingsDep
from api.pages import render
from api.paginate import Page, paginate
from service import grades, sign_in_codes
from service import schedule as schedules
from service.db.models import Student, Submission, Token, utcnow
from service.problems import Problem
from service.settings import Settings
from service.tokens import create_token, digest

router = APIRouter(prefix="/dashboard", include_in_schema=False)
PAGE_SIZE = 50


@router.get("/students", response_class=HTMLResponse)
def students_page(request: Request, web: InstructorDep, session: SessionDep, settings: SettingsDep,
                  page: Annotated[int, Query(ge=1)] = 1,
                  tokens_page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    return _page(request, web, session, settings, page, tokens_page)


def _page(request: Request, web: dict, session: Session, settings: Settings, page: int = 1, tokens_page: int = 1,
          status_code: int = 200, **refused: Any) -> HTMLResponse:
    found, counts = students(session, page)
    tokens = paginate(session, select(Token, Student.name).join(Student, Student.id == Token.student_id),
                      page=tokens_page, size=PAGE_SIZE, order_by=[Token.created_at.desc(), Token.id.desc()])
    return render(request, "students.html", web, status_code=status_code,
                  rows=[(s, counts.get(s.id, 0)) for (s,) in found.rows],
                  tokens=tokens.rows, base_url=settings.base_url, page=page, pages=found.pages,
                  total=found.total, tokens_page=tokens_page, tokens_pages=tokens.pages, **refused)


@router.post("/students/tokens", response_class=HTMLResponse)
def create_student_token(request: Request, web: InstructorDep, _: CsrfDep, session: SessionDep,
                         settings: SettingsDep, student: Annotated[str, Form()] = "") -> HTMLResponse:
    errors: dict[str, str] = {}
    name = forms.new_name(student, errors)
    if errors:
        return _page(request, web, session, settings, status_code=422, errors=errors, form={"student": student})
    token = create_token(session=session, student=name)
    token_id = session.scalars(select(Token.id).where(Token.token_sha256 == digest(token))).one()
    # Shown once, on this response only (never in a URL or a log); the page then puts the address of
    # sign_in_page in the address bar, so a reload does not post again.
    return render(request, "token_created.html", web, student=name, token=token, student_id=_owner(session, token_id),
                  link=sign_in_codes.link(settings, sign_in_codes.make(settings, token_id)))


@router.get("/students/{student_id}/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, student_id: int, web: InstructorDep, session: SessionDep,
                 settings: SettingsDep, created: str = "") -> HTMLResponse:
    """A fresh one-time sign-in link for the student's newest active token (signing one writes nothing)."""
    who = session.get(Student, student_id)
    if who is None:
        raise Problem(404, "Not found", f"no student {student_id}")
    token_id = session.scalar(select(Token.id).where(Token.student_id == student_id, Token.revoked_at.is_(None))
                              .order_by(Token.created_at.desc(), Token.id.desc()).limit(1))
    link = sign_in_codes.link(settings, sign_in_codes.make(settings, token_id)) if token_id is not None else ""
    return render(request, "token_created.html", web, student=who.name, student_id=student_id, link=link,
                  created=bool(created))


def _owner(session: Session, token_id: int) -> int:
    return int(session.scalars(select(Token.student_id).where(Token.id == token_id)).one())


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: int, _w: InstructorDep, _: CsrfDep, session: SessionDep) -> Response:
    row = session.get(Token, token_id)
    if row is None:
        raise Problem(404, "Not found")
    row.revoked_at = row.revoked_at or utcnow()
    session.commit()
    return RedirectResponse("/dashboard/students", status_code=303)


@router.get("/students/{student_id}", response_class=HTMLResponse)
def student_page(request: Request, student_id: int, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                 assignment: str = "", a: str = "", b: str = "") -> HTMLResponse:
    """A student for TAs: every attempt with its score and grade, the score history, a diff of two sources."""
    assignment = assignment or settings.default_assignment
    who = session.get(Student, student_id)
    if who is None:
        raise Problem(404, "Not found", f"no student {student_id}")
    schedule = schedules.for_student(session, settings.schedule, assignment, student_id)
    rows = session.execute(select(Submission.id, Submission.received_at, Submission.status, Submission.score,
                                  Submission.max_score).where(Submission.student_id == student_id,
                                                              Submission.assignment == assignment)
                           .order_by(Submission.received_at)).all()
    attempts = [(r, schedule.late_days(r.received_at),
                 schedule.grade(r.score, r.received_at) if r.score is not None else None) for r in rows]
    scored = [(r.received_at.strftime("%m-%d %H:%M"), r.score) for r in rows if r.score is not None]
    chart = plots.bars([t for t, _ in scored], [s for _, s in scored], title="Score per upload") if scored else None
    counted = grades.counted_grade(session, assignment=assignment, student_id=student_id)
    return render(request, "student_detail.html", web, who=who, assignment=assignment, attempts=attempts,
                  chart=chart, counted=counted, diff=_diff(session, student_id, a, b), a=a, b=b)


def students(session: Session, page: int) -> tuple[Page, dict[int, int]]:
    """One page of students (by name), and the number of submissions of each of them."""
    found = paginate(session, select(Student), page=page, size=PAGE_SIZE, order_by=[Student.name])
    ids = [s.id for (s,) in found.rows]
    counts = session.execute(select(Submission.student_id, func.count()).where(
        Submission.student_id.in_(ids)).group_by(Submission.student_id)).all() if ids else []
    return found, {sid: int(n) for sid, n in counts}


def _diff(session: Session, student_id: int, a: str, b: str) -> Markup | None:
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
