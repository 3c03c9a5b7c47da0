"""The counted grade of every student: kept up to date as grades are stored, and read one way.

:func:`stored` runs inside :func:`service.lifecycle.store`'s transaction: it
copies the report's tests into ``test_results`` and recomputes that student's
``counted_grades`` row, with the applied schedule (:mod:`service.schedule`) and
their extension. When the effective schedule changes (start-up, for the data file
and the environment; the dashboard's schedule saved) :func:`apply` recomputes
every grade of the assignment in one query (:mod:`service.schedule_changes` also
sends the LMS the grades it changed). Reading a grade never recomputes one:
everything that shows or sends a counted grade reads it with :func:`counted_grade`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, false, insert, select, update
from sqlalchemy.orm import Session

from grader.report import Report
from service import schedule as sched
from service.db.grade_models import CountedGrade, TestResultRow
from service.db.models import Student, Submission, SubmissionStatus, utcnow
from service.db.upsert import upsert

GRADED = SubmissionStatus.GRADED.value


def counted_grade(session: Session, *, assignment: str, student_id: int) -> CountedGrade | None:
    """The student's counted grade of ``assignment`` (late policy and latest/best applied); None before any
    submission. What the gradebook, the student's page, the LMS and the LTI platform all get."""
    return session.get(CountedGrade, (assignment, student_id))


def stored(session: Session, submission_id: str, report: Report) -> None:
    """The report of ``submission_id`` was just stored: its test rows and its student's counted grade.

    Adds to the caller's transaction; the caller commits.
    """
    sub = session.execute(select(Submission.student_id, Submission.assignment)
                          .where(Submission.id == submission_id)).one()
    session.execute(delete(TestResultRow).where(TestResultRow.submission_id == submission_id))
    rows = {t.number: {"submission_id": submission_id, "number": t.number, "name": t.name[:300], "score": t.score,
                       "max_score": t.max_score, "status": str(t.status), "hint": (t.hint or "")[:100],
                       "assignment": sub.assignment, "counted": False} for t in report.tests}
    if rows:
        session.execute(insert(TestResultRow), list(rows.values()))
    recompute_student(session, sub.student_id, sub.assignment)


def recompute_submission(session: Session, submission_id: str) -> None:
    """Recompute the counted grade of this submission's student (no commit)."""
    row = session.execute(select(Submission.student_id, Submission.assignment)
                          .where(Submission.id == submission_id)).one_or_none()
    if row is not None:
        recompute_student(session, row.student_id, row.assignment)


def recompute_student(session: Session, student_id: int, assignment: str) -> None:
    """One student's counted grade, from their submissions, the applied schedule and their extension."""
    subs = session.execute(_submissions(assignment).where(Submission.student_id == student_id)).all()
    ext = sched.extension(session, assignment, student_id)
    values = _counted_row(subs, sched.applied(session, assignment).for_student(ext))
    if not values:
        session.execute(delete(CountedGrade).where(CountedGrade.assignment == assignment,
                                                   CountedGrade.student_id == student_id))
    else:
        upsert(session, CountedGrade, [{"assignment": assignment, "student_id": student_id,
                                         "updated_at": utcnow(), **values}])
    instructor = session.scalar(select(Student.is_instructor).where(Student.id == student_id))
    counts = None if instructor else values.get("submission_id")
    should = TestResultRow.submission_id == counts if counts else false()
    session.execute(update(TestResultRow).where(TestResultRow.submission_id.in_([s.id for s in subs]),
                                                TestResultRow.counted != should).values(counted=should))


def recompute_all(session: Session, assignment: str, schedule: sched.Schedule) -> list[int]:
    """Every counted grade of the assignment with ``schedule``, which becomes the applied one; commits.

    Returns the students whose counted grade (or counted submission) changed.
    """
    before = _counted_now(session, assignment)
    sched.write_applied(session, assignment, schedule)
    by_student: dict[int, list[Any]] = defaultdict(list)
    for r in session.execute(_submissions(assignment)):
        by_student[r.student_id].append(r)
    exts = sched.extensions(session, assignment)
    now = utcnow()
    rows = [{"assignment": assignment, "student_id": sid, "updated_at": now,
             **_counted_row(subs, schedule.for_student(exts.get(sid)))} for sid, subs in by_student.items()]
    upsert(session, CountedGrade, rows)
    _flag_counted_tests(session, assignment)
    session.commit()
    return [r["student_id"] for r in rows if before.get(r["student_id"]) != (r["submission_id"], r["grade"])]


def _counted_now(session: Session, assignment: str, student_id: int | None = None) -> dict[int, tuple[Any, Any]]:
    q = select(CountedGrade.student_id, CountedGrade.submission_id, CountedGrade.grade).where(
        CountedGrade.assignment == assignment)
    if student_id is not None:
        q = q.where(CountedGrade.student_id == student_id)
    return {sid: (sub, grade) for sid, sub, grade in session.execute(q)}


def _flag_counted_tests(session: Session, assignment: str) -> None:
    """``test_results.counted`` for the whole assignment, writing only the rows that change."""
    counts = (select(CountedGrade.submission_id).join(Student, Student.id == CountedGrade.student_id)
              .where(CountedGrade.assignment == assignment, CountedGrade.submission_id.is_not(None),
                     Student.is_instructor == False))  # noqa: E712 - SQL
    should = TestResultRow.submission_id.in_(counts)
    session.execute(update(TestResultRow).where(TestResultRow.assignment == assignment,
                                                TestResultRow.counted != should).values(counted=should))


def _submissions(assignment: str) -> Any:
    return (select(Submission.id, Submission.student_id, Submission.received_at, Submission.status,
                   Submission.score, Submission.max_score).where(Submission.assignment == assignment))


def _counted_row(subs: Iterable[Any], schedule: sched.Schedule) -> dict[str, Any]:
    subs = list(subs)
    if not subs:
        return {}
    graded = [s for s in subs if s.status == GRADED and s.score is not None]
    pick = sched.counted([sched.Graded(s.id, s.received_at, s.score) for s in graded], schedule)
    chosen = next((s for s in graded if pick and s.id == pick.id), None)
    latest = sched.counted([sched.Graded(s.id, s.received_at, s.score) for s in graded],
                           schedule.model_copy(update={"counted": "latest"}))
    latest_row = next((s for s in graded if latest and s.id == latest.id), None)
    return {
        "submission_id": chosen.id if chosen else None,
        "grade": schedule.grade(chosen.score, chosen.received_at) if chosen else None,
        "score": chosen.score if chosen else None,
        "max_score": chosen.max_score if chosen else None,
        "late_days": schedule.late_days(chosen.received_at) if chosen else 0,
        "latest_grade": schedule.grade(latest_row.score, latest_row.received_at) if latest_row else None,
        "best_grade": max((schedule.grade(s.score, s.received_at) for s in graded), default=None),
        "attempts": len(subs),
        "last_activity": max(sched.aware(s.received_at) for s in subs),
    }


def apply(session: Session, env: dict[str, dict[str, Any]], assignment: str) -> list[int]:
    """Recompute every grade of the assignment when its effective schedule is not the applied one; commits.

    Returns the students whose counted grade changed (none when the schedule had not).
    """
    now = sched.effective(session, env, assignment)
    return [] if sched.is_applied(session, assignment, now) else recompute_all(session, assignment, now)


def set_extension(session: Session, assignment: str, student_id: int, due_at: datetime | None) -> bool:
    """Grant (or with None withdraw) a student's extension and recompute their grade; commits.

    True when their counted grade (or counted submission) changed.
    """
    before = _counted_now(session, assignment, student_id)
    sched.set_extension(session, assignment, student_id, due_at)
    recompute_student(session, student_id, assignment)
    session.commit()
    return _counted_now(session, assignment, student_id) != before


@dataclass(frozen=True)
class SubmissionGrade:
    """One graded submission under its student's schedule: what its pages show beside the score."""

    score: float
    max_score: float
    late_days: int
    penalty: float
    """Share of the score the late policy takes (0 when on time)."""
    grade: float
    """After the penalty; for the counted submission, the stored counted grade (the gradebook's, CSV's, LMS's)."""
    counts: bool
    counted_id: str | None
    """The submission that counts now (this one or another); None when none does yet."""


def of_submission(session: Session, env: dict[str, dict[str, Any]], row: Submission) -> SubmissionGrade | None:
    """``row``'s lateness, penalty and grade, and whether it is the one that counts; None until it is graded."""
    if row.score is None or row.status != GRADED:
        return None
    schedule = sched.for_student(session, env, row.assignment, row.student_id)
    counted = counted_grade(session, assignment=row.assignment, student_id=row.student_id)
    counts = counted is not None and counted.submission_id == row.id and counted.grade is not None
    late = schedule.late_days(row.received_at)
    stored_grade = counted.grade if counts and counted is not None else None
    return SubmissionGrade(
        score=float(row.score), max_score=float(row.max_score or 0), late_days=late,
        penalty=min(1.0, schedule.late_penalty_per_day * late),
        grade=float(stored_grade) if stored_grade is not None else schedule.grade(row.score, row.received_at),
        counts=counts, counted_id=counted.submission_id if counted is not None else None)
