"""What the course pages read: the gradebook, the overview's aggregates, the CSV export.

Everything here is SQL over the tables :mod:`service.grades` keeps up to date
(``counted_grades``, ``test_results``): no stored report is parsed on a
request, no query runs per student, and every list is one page.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, select, true
from sqlalchemy.orm import Session

from service.db.grade_models import CountedGrade, TestResultRow
from service.db.models import Student, Submission
from service.grades import course_member

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


def _course(assignment: str) -> Any:
    return (select(Student.id, Student.name, CountedGrade)
            .outerjoin(CountedGrade, and_(CountedGrade.student_id == Student.id,
                                          CountedGrade.assignment == assignment))
            .where(course_member()))


def _filtered(f: GradebookFilters) -> Any:
    q = _course(f.assignment)
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


def gradebook(session: Session, f: GradebookFilters) -> tuple[list[GradebookRow], int]:
    """One page of the gradebook and the number of matching students."""
    q = _filtered(f)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    col = SORTS.get(f.sort, Student.name)
    order = col.asc().nulls_last() if f.order == "asc" else col.desc().nulls_last()
    rows = session.execute(q.order_by(order, Student.name).offset((max(f.page, 1) - 1) * PAGE_SIZE)
                           .limit(PAGE_SIZE)).all()
    ids = [r[2].submission_id for r in rows if r[2] is not None and r[2].submission_id]
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
    for sid, name, g in rows:
        key = g.submission_id if g is not None else None
        out.append(GradebookRow(sid, name, g, sorted(failing.get(key or "", []), key=_number_key),
                                hints.get(key or "", [])))
    return out, int(total)


def _counted_tests(assignment: str) -> Any:
    """The tests of the counted submissions of the course's students (an index range, no join)."""
    return and_(TestResultRow.assignment == assignment, TestResultRow.counted == true())


def overview(session: Session, assignment: str) -> dict[str, Any]:
    """Grade histogram (11 bins, the last one 100 %), pass rate and hints over counted submissions."""
    students = session.scalar(select(func.count()).select_from(Student).where(course_member())) or 0
    grades = session.execute(select(CountedGrade.grade, CountedGrade.max_score).join(
        Student, Student.id == CountedGrade.student_id).where(
        CountedGrade.assignment == assignment, CountedGrade.submission_id.is_not(None),
        Student.is_instructor == False)).all()  # noqa: E712 - SQL
    bins = [0] * 11
    for grade, top in grades:
        bins[min(int((grade or 0) / top * 10 + 1e-9), 10) if top else 0] += 1
    rates = _rates(session, assignment)
    n_students = func.count(func.distinct(TestResultRow.submission_id))  # one counted submission per student
    hint_rows = session.execute(
        select(TestResultRow.hint, n_students).where(_counted_tests(assignment), TestResultRow.hint != "")
        .group_by(TestResultRow.hint).order_by(n_students.desc(), TestResultRow.hint).limit(10)).all()
    day = func.date(Submission.received_at)
    per_day = session.execute(select(day, func.count()).where(Submission.assignment == assignment)
                              .group_by(day).order_by(day.desc()).limit(30)).all()
    return {"students": int(students), "graded": len(grades), "histogram": bins,
            "pass_rates": [(num, name, ok / n) for num, name, n, ok in rates],
            "per_day": [(str(d), int(c)) for d, c in reversed(per_day)],
            "hints": [(h, int(n)) for h, n in hint_rows],
            "mean": sum(g or 0 for g, _ in grades) / len(grades) if grades else None}


def _rates(session: Session, assignment: str) -> list[tuple[str, str, int, int]]:
    """(number, name, counted submissions, passed) per test, in assignment order."""
    rows = session.execute(
        select(TestResultRow.number, TestResultRow.status, func.min(TestResultRow.name), func.count())
        .where(_counted_tests(assignment)).group_by(TestResultRow.number, TestResultRow.status)).all()
    per: dict[str, list[Any]] = {}
    for number, status, name, n in rows:
        entry = per.setdefault(number, [number, name, 0, 0])
        entry[2] += n
        entry[3] += n if status == PASSED else 0
    return sorted((tuple(e) for e in per.values()), key=_number_key)  # type: ignore[misc]


def tests_of(session: Session, assignment: str) -> list[tuple[str, str]]:
    """(number, name) of every test seen in a counted submission, in assignment order."""
    return [(number, name) for number, name, _, _ in _rates(session, assignment)]


def hints_of(session: Session, assignment: str) -> list[str]:
    """Every hint shown in a counted submission (the gradebook's hint filter offers them)."""
    return list(session.scalars(select(TestResultRow.hint).where(_counted_tests(assignment), TestResultRow.hint != "")
                                .distinct().order_by(TestResultRow.hint)))


def csv_export(session: Session, assignment: str) -> str:
    """One row per student of the course, non-submitters included with an empty grade."""
    tests = tests_of(session, assignment)
    pivot = select(TestResultRow.submission_id, *(
        func.max(case((TestResultRow.number == n, TestResultRow.score))) for n, _ in tests)).where(
        _counted_tests(assignment)).group_by(TestResultRow.submission_id)
    scores = {r[0]: r[1:] for r in session.execute(pivot)}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["student", "grade", "max_score", "counted_submission", "late", *(name for _, name in tests)])
    empty = [""] * (4 + len(tests))
    for name, sid, grade, top, late in session.execute(
            select(Student.name, CountedGrade.submission_id, CountedGrade.grade, CountedGrade.max_score,
                   CountedGrade.late_days)
            .outerjoin(CountedGrade, and_(CountedGrade.student_id == Student.id, CountedGrade.assignment == assignment))
            .where(course_member()).order_by(Student.name)):
        if sid is None:
            w.writerow([name, *empty])
            continue
        w.writerow([name, _num(grade), _num(top), sid, late, *(_num(x) for x in scores.get(sid) or [None] * len(tests))])
    return out.getvalue()


def _number_key(row: Any) -> tuple[int, str]:
    n = str(row[0])
    return (int(n), n) if n.isdigit() else (10**9, n)


def _num(x: float | None) -> str:
    return "" if x is None else f"{round(x, 4):g}"
