"""``/dashboard/gradebook``: every student of the course with their counted grade, one page at a time.

SQL over the tables :mod:`service.grades` keeps up to date (``counted_grades``,
``test_results``): no stored report is parsed on a request and no query runs per student.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import and_, exists, func, select, true
from sqlalchemy.orm import Session

from api.auth import InstructorDep
from api.deps import SessionDep, SettingsDep
from api.pages import render
from api.paginate import paginate, sort
from service import schedule
from service.course import course_member
from service.db.grade_models import CountedGrade, TestResultRow
from service.db.models import Student

router = APIRouter(prefix="/dashboard", include_in_schema=False)
PAGE_SIZE = 50
PASSED = "passed"
SORTS = {"student": Student.name, "grade": CountedGrade.grade, "late": CountedGrade.late_days,
         "attempts": CountedGrade.attempts, "activity": CountedGrade.last_activity}
STATES = ("", "submitted", "not_submitted", "late", "on_time")


@dataclass
class GradebookFilters:
    """The gradebook's query string."""

    assignment: str
    student: str = ""
    state: str = ""
    """``not_submitted``, ``submitted``, ``late``, ``on_time`` or empty (everyone)."""
    test: str = ""
    """A test's number: students whose counted submission fails it."""
    hint: str = ""
    """Students whose counted submission shows this hint."""
    sort: str = "student"
    order: str = "asc"
    page: int = 1


@dataclass
class GradebookRow:
    student_id: int
    student: str
    grade: CountedGrade | None
    failing: list[tuple[str, str]]
    """(number, name) of the counted submission's tests that did not pass."""
    hints: list[str]


@router.get("/gradebook", response_class=HTMLResponse)
def gradebook_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                   assignment: str = "", student: str = "", state: str = "", test: str = "",
                   hint: str = "", sort: str = "student", order: str = "asc",
                   page: Annotated[int, Query(ge=1)] = 1) -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    f = GradebookFilters(assignment=assignment, student=student, state=state, test=test, hint=hint,
                         sort=sort if sort in SORTS else "student", order="desc" if order == "desc" else "asc",
                         page=page)
    rows, found = gradebook(session, f)
    return render(request, "gradebook.html", web, rows=rows, total=found.total, f=f,
                  schedule=schedule.effective(session, settings.schedule, assignment),
                  extended=schedule.extensions(session, assignment),
                  pages=found.pages, tests=tests_of(session, assignment), hints=hints_of(session, assignment),
                  states=STATES, query=dict(request.query_params), assignments=settings.assignment_ids)


def course_grades(assignment: str) -> Any:
    """Every student of the course with their counted grade of ``assignment`` (None: not submitted)."""
    return (select(Student.id, Student.name, CountedGrade)
            .outerjoin(CountedGrade, and_(CountedGrade.student_id == Student.id,
                                          CountedGrade.assignment == assignment))
            .where(course_member()))


def _filtered(f: GradebookFilters) -> Any:
    q = course_grades(f.assignment)
    if f.student:
        q = q.where(Student.name.ilike(f"%{f.student}%"))
    if f.state == "not_submitted":
        q = q.where(CountedGrade.student_id.is_(None))
    elif f.state == "submitted":
        q = q.where(CountedGrade.student_id.is_not(None))
    elif f.state == "late":
        q = q.where(CountedGrade.late_days > 0)
    elif f.state == "on_time":
        q = q.where(CountedGrade.submission_id.is_not(None), CountedGrade.late_days == 0)
    if f.test:
        q = q.where(exists().where(TestResultRow.submission_id == CountedGrade.submission_id,
                                   TestResultRow.number == f.test, TestResultRow.status != PASSED))
    if f.hint:
        q = q.where(exists().where(TestResultRow.submission_id == CountedGrade.submission_id,
                                   TestResultRow.hint == f.hint))
    return q


def gradebook(session: Session, f: GradebookFilters) -> tuple[list[GradebookRow], Any]:
    """One page of the gradebook, and the page (its total and number of pages)."""
    found = paginate(session, _filtered(f), page=f.page, size=PAGE_SIZE,
                     order_by=[sort(SORTS.get(f.sort, Student.name), f.order), Student.name])
    ids = [r[2].submission_id for r in found.rows if r[2] is not None and r[2].submission_id]
    failing: dict[str, list[tuple[str, str]]] = defaultdict(list)
    hints: dict[str, list[str]] = defaultdict(list)
    if ids:
        for sid, number, name, status, hint in session.execute(
                select(TestResultRow.submission_id, TestResultRow.number, TestResultRow.name,
                       TestResultRow.status, TestResultRow.hint).where(TestResultRow.submission_id.in_(ids))):
            if status != PASSED:
                failing[sid].append((number, name))
            if hint and hint not in hints[sid]:
                hints[sid].append(hint)
    out = []
    for sid, name, g in found.rows:
        key = g.submission_id if g is not None else None
        out.append(GradebookRow(sid, name, g, sorted(failing.get(key or "", []), key=number_key),
                                hints.get(key or "", [])))
    return out, found


def counted_tests(assignment: str) -> Any:
    """The tests of the counted submissions of the course's students (an index range, no join)."""
    return and_(TestResultRow.assignment == assignment, TestResultRow.counted == true())


def pass_rates(session: Session, assignment: str) -> list[tuple[str, str, int, int]]:
    """(number, name, counted submissions, passed) per test, in assignment order."""
    rows = session.execute(
        select(TestResultRow.number, TestResultRow.status, func.min(TestResultRow.name), func.count())
        .where(counted_tests(assignment)).group_by(TestResultRow.number, TestResultRow.status)).all()
    per: dict[str, list[Any]] = {}
    for number, status, name, n in rows:
        entry = per.setdefault(number, [number, name, 0, 0])
        entry[2] += n
        entry[3] += n if status == PASSED else 0
    return sorted((tuple(e) for e in per.values()), key=number_key)  # type: ignore[misc]


def tests_of(session: Session, assignment: str) -> list[tuple[str, str]]:
    """(number, name) of every test seen in a counted submission, in assignment order."""
    return [(number, name) for number, name, _, _ in pass_rates(session, assignment)]


def hints_of(session: Session, assignment: str) -> list[str]:
    """Every hint shown in a counted submission (the gradebook's hint filter offers them)."""
    return list(session.scalars(select(TestResultRow.hint).where(counted_tests(assignment), TestResultRow.hint != "")
                                .distinct().order_by(TestResultRow.hint)))


def number_key(row: Any) -> tuple[int, str]:
    """Tests in assignment order: "2" before "10"."""
    n = str(row[0])
    return (int(n), n) if n.isdigit() else (10**9, n)
