"""The counted grade of every student, kept up to date as grades are stored.

:func:`stored` runs inside :func:`service.lifecycle.store`'s transaction: it
copies the report's tests into ``test_results`` and recomputes that student's
``counted_grades`` row. Schedule and extension changes recompute through
:func:`refresh` (the API calls it before reading grades: when the effective
schedule differs from the one the grades were computed with, every grade of
the assignment is recomputed, in one query). Workers never read the
environment: they compute with the schedule the API last applied.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, false, insert, or_, select, update
from sqlalchemy.orm import Session

from grader.report import Report
from service import schedule as sched
from service.db.grade_models import CountedGrade, Extension, ScheduleRow, TestResultRow
from service.db.lti_models import LtiAccount
from service.db.models import Student, Submission, SubmissionStatus, Token, utcnow
from service.problems import PROBLEMS, Problem

GRADED = SubmissionStatus.GRADED.value
DASHBOARD, APPLIED = "dashboard", "applied"


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


def refresh_submission(session: Session, submission_id: str) -> None:
    """Recompute the counted grade of this submission's student (no commit)."""
    row = session.execute(select(Submission.student_id, Submission.assignment)
                          .where(Submission.id == submission_id)).one_or_none()
    if row is not None:
        recompute_student(session, row.student_id, row.assignment)


def recompute_student(session: Session, student_id: int, assignment: str) -> None:
    """One student's counted grade, from their submissions, the applied schedule and their extension."""
    subs = session.execute(_submissions(assignment).where(Submission.student_id == student_id)).all()
    ext = session.scalar(select(Extension.due_at).where(Extension.assignment == assignment,
                                                        Extension.student_id == student_id))
    values = _counted_row(subs, applied(session, assignment).for_student(ext))
    if not values:
        session.execute(delete(CountedGrade).where(CountedGrade.assignment == assignment,
                                                   CountedGrade.student_id == student_id))
    else:
        _upsert(session, CountedGrade, [{"assignment": assignment, "student_id": student_id,
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
    _write_applied(session, assignment, schedule)
    by_student: dict[int, list[Any]] = defaultdict(list)
    for r in session.execute(_submissions(assignment)):
        by_student[r.student_id].append(r)
    exts = {sid: due for sid, due in session.execute(select(Extension.student_id, Extension.due_at)
                                                     .where(Extension.assignment == assignment))}
    now = utcnow()
    rows = [{"assignment": assignment, "student_id": sid, "updated_at": now,
             **_counted_row(subs, schedule.for_student(exts.get(sid)))} for sid, subs in by_student.items()]
    _upsert(session, CountedGrade, rows)
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


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE: a worker storing a grade while the API recomputes
    every grade (or two API processes recomputing at once) both succeed, the last one wins."""
    if not rows:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model)
    keys = [c.name for c in model.__table__.primary_key.columns]
    session.execute(stmt.on_conflict_do_update(
        index_elements=keys, set_={c: stmt.excluded[c] for c in rows[0] if c not in keys}), rows)


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


# --- schedules: resolved (data file < environment < dashboard), applied, refreshed ---------------

def effective(session: Session, env: dict[str, dict[str, Any]], assignment: str) -> sched.Schedule:
    """The schedule in force: the dashboard's override, else the environment's over the data file's."""
    override = _row(session, assignment, DASHBOARD)
    if override is not None:
        return override
    base = sched.from_data_file(assignment)
    return sched.merge(base, env[assignment]) if assignment in env else (base or sched.Schedule())


def applied(session: Session, assignment: str) -> sched.Schedule:
    """The schedule the stored counted grades were computed with (the data file's before any)."""
    return (_row(session, assignment, APPLIED) or _row(session, assignment, DASHBOARD)
            or sched.from_data_file(assignment) or sched.Schedule())


def refresh(session: Session, env: dict[str, dict[str, Any]], assignment: str) -> sched.Schedule:
    """The effective schedule, after recomputing every grade if it is not the applied one."""
    return apply(session, env, assignment)[0]


def apply(session: Session, env: dict[str, dict[str, Any]], assignment: str) -> tuple[sched.Schedule, list[int]]:
    """:func:`refresh`, and the students whose counted grade that changed (none when the schedule had not)."""
    now = effective(session, env, assignment)
    if _row(session, assignment, APPLIED) == now:
        return now, []
    return now, recompute_all(session, assignment, now)


def set_override(session: Session, assignment: str, schedule: sched.Schedule | None) -> None:
    """Store (or, with None, remove) the dashboard's schedule; the next :func:`refresh` recomputes."""
    session.execute(delete(ScheduleRow).where(ScheduleRow.assignment == assignment,
                                              ScheduleRow.source == DASHBOARD))
    if schedule is not None:
        session.add(ScheduleRow(assignment=assignment, source=DASHBOARD, body=schedule.to_json()))
    session.commit()


def has_override(session: Session, assignment: str) -> bool:
    return _row(session, assignment, DASHBOARD) is not None


def set_extension(session: Session, assignment: str, student_id: int, due_at: datetime | None) -> bool:
    """Grant (or with None withdraw) a student's extension and recompute their grade; commits.

    True when their counted grade (or counted submission) changed.
    """
    before = _counted_now(session, assignment, student_id)
    session.execute(delete(Extension).where(Extension.assignment == assignment,
                                            Extension.student_id == student_id))
    if due_at is not None:
        session.add(Extension(assignment=assignment, student_id=student_id, due_at=due_at))
    session.flush()
    recompute_student(session, student_id, assignment)
    session.commit()
    return _counted_now(session, assignment, student_id) != before


def for_student(session: Session, env: dict[str, dict[str, Any]], assignment: str,
                student_id: int) -> sched.Schedule:
    """The effective schedule with this student's extension applied."""
    ext = session.scalar(select(Extension.due_at).where(Extension.assignment == assignment,
                                                        Extension.student_id == student_id))
    return effective(session, env, assignment).for_student(ext)


def refuse_if_closed(session: Session, env: dict[str, dict[str, Any]], assignment: str, student_id: int,
                     now: datetime | None = None) -> None:
    """A 403 Problem when the assignment is closed for this student (the upload API, page and webhook).

    Instructors (trying the grader out) are never refused.
    """
    close = for_student(session, env, assignment, student_id).close()
    if close is not None and (now or utcnow()) > close and not session.scalar(
            select(Student.is_instructor).where(Student.id == student_id)):
        raise Problem(403, "Submissions closed", f"{assignment} closed at {close.isoformat()}",
                      type=PROBLEMS + "closed", assignment=assignment, closed_at=close.isoformat())


@dataclass
class StudentView:
    """What a student sees of the course: their schedule (extension applied) and what counts now."""

    assignment: str
    schedule: sched.Schedule
    close: datetime | None
    counted: CountedGrade | None
    now: datetime

    @property
    def closed(self) -> bool:
        return self.close is not None and self.now > self.close

    @property
    def time_left(self) -> str:
        """Until the due date (or, once it passed, the close), as "2 days 3 h" / "45 min"; empty: none."""
        end = self.schedule.due_at if self.schedule.due_at and self.now <= self.schedule.due_at else self.close
        if end is None or self.now > end:
            return ""
        left = end - self.now
        hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
        days, hours = divmod(hours, 24)
        return f"{days} days {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"


def student_view(session: Session, env: dict[str, dict[str, Any]], assignment: str, student_id: int) -> StudentView:
    schedule = for_student(session, env, assignment, student_id)
    row = session.scalar(select(CountedGrade).where(CountedGrade.assignment == assignment,
                                                    CountedGrade.student_id == student_id))
    return StudentView(assignment, schedule, schedule.close(), row, utcnow())


def _row(session: Session, assignment: str, source: str) -> sched.Schedule | None:
    return sched.parse(session.scalar(select(ScheduleRow.body).where(ScheduleRow.assignment == assignment,
                                                                     ScheduleRow.source == source)))


def _write_applied(session: Session, assignment: str, schedule: sched.Schedule) -> None:
    _upsert(session, ScheduleRow, [{"assignment": assignment, "source": APPLIED, "body": schedule.to_json(),
                                    "updated_at": utcnow()}])


def course_member() -> Any:
    """SQL condition on ``Student``: a student of the course (not an instructor; an active token, an
    LTI launch, or any submission, which covers every student an LMS webhook sent)."""
    return (Student.is_instructor == False) & or_(  # noqa: E712 - SQL, not Python
        exists().where(Token.student_id == Student.id, Token.revoked_at.is_(None)),
        exists().where(LtiAccount.student_id == Student.id),
        exists().where(Submission.student_id == Student.id))


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
    schedule = for_student(session, env, row.assignment, row.student_id)
    counted = session.get(CountedGrade, (row.assignment, row.student_id))
    counts = counted is not None and counted.submission_id == row.id and counted.grade is not None
    late = schedule.late_days(row.received_at)
    stored_grade = counted.grade if counts and counted is not None else None
    return SubmissionGrade(
        score=float(row.score), max_score=float(row.max_score or 0), late_days=late,
        penalty=min(1.0, schedule.late_penalty_per_day * late),
        grade=float(stored_grade) if stored_grade is not None else schedule.grade(row.score, row.received_at),
        counts=counts, counted_id=counted.submission_id if counted is not None else None)
