"""``/dashboard/export.csv``: one row per student of the course, non-submitters included with an empty grade."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.auth import InstructorDep
from api.dashboard.gradebook import counted_tests, course_grades, tests_of
from api.deps import SessionDep, SettingsDep
from service.db.grade_models import TestResultRow
from service.db.models import Student

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("/export.csv")
def export(_w: InstructorDep, session: SessionDep, settings: SettingsDep, assignment: str = "") -> Response:
    assignment = assignment or settings.default_assignment
    return Response(csv_export(session, assignment), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{assignment}-scores.csv"',
                             "Cache-Control": "no-store"})


def csv_export(session: Session, assignment: str) -> str:
    """The CSV: student, grade, max_score, counted_submission, late, then one score per test."""
    tests = tests_of(session, assignment)
    pivot = select(TestResultRow.submission_id, *(
        func.max(case((TestResultRow.number == n, TestResultRow.score))) for n, _ in tests)).where(
        counted_tests(assignment)).group_by(TestResultRow.submission_id)
    scores = {r[0]: r[1:] for r in session.execute(pivot)}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["student", "grade", "max_score", "counted_submission", "late", *(name for _, name in tests)])
    empty = [""] * (4 + len(tests))
    for _, name, g in session.execute(course_grades(assignment).order_by(Student.name)):
        if g is None or g.submission_id is None:
            w.writerow([name, *empty])
            continue
        w.writerow([name, csv_number(g.grade), csv_number(g.max_score), g.submission_id, g.late_days,
                    *(csv_number(x) for x in scores.get(g.submission_id) or [None] * len(tests))])
    return out.getvalue()


def csv_number(x: float | None) -> str:
    """A score for the CSV: at most 4 decimals, no trailing zeros; empty for none."""
    return "" if x is None else f"{round(x, 4):g}"
