"""Tables of the course's grades: per-test results, the counted grade, schedules and extensions.

They are kept up to date as grades are stored (:mod:`service.grades`), so the
dashboard's pages and the CSV are SQL aggregates over small indexed tables
instead of parsing every stored report on each request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, Submission, UTCDateTime, utcnow


class TestResultRow(Base):
    """One test of one graded submission, copied out of its report when the report is stored."""

    __tablename__ = "test_results"
    # The overview and the CSV read the counted submissions' tests from these indexes alone.
    __table_args__ = (Index("ix_test_results_counted", "assignment", "counted", "number", "status", "name"),
                      Index("ix_test_results_counted_scores", "assignment", "counted", "submission_id",
                            "number", "score", "hint"))
    __test__ = False  # not a pytest test class

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    """The test's position in the assignment ("1", "2"...): stable across submissions."""
    name: Mapped[str] = mapped_column(String(300))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    hint: Mapped[str] = mapped_column(String(100), default="")
    """The recognised mistake's key, empty when none."""
    assignment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    counted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """True while its submission is the counted one of a student of the course (not an instructor)."""


class CountedGrade(Base):
    """The grade that counts for one student and assignment, after the late policy."""

    __tablename__ = "counted_grades"
    __table_args__ = (Index("ix_counted_grades_assignment_grade", "assignment", "grade"),
                      Index("ix_counted_grades_submission", "submission_id"))

    assignment: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    submission_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """The counted submission; None while none of the student's submissions is graded."""
    grade: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Score × max(0, 1 − penalty × started days late)."""
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    late_days: Mapped[int] = mapped_column(Integer, default=0)
    """Started days late of the counted submission (0 when on time)."""
    latest_grade: Mapped[float | None] = mapped_column(Float, nullable=True)
    best_grade: Mapped[float | None] = mapped_column(Float, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Submissions of this assignment, graded or not."""
    last_activity: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScheduleRow(Base):
    """A schedule as stored: the dashboard's override (``source='dashboard'``) or the one last applied.

    ``applied`` holds, per assignment, the effective schedule the counted grades
    were last computed with; workers store grades with it (they do not read the
    environment), and the API recomputes every grade when the effective one changes.
    """

    __tablename__ = "schedules"

    assignment: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    """``dashboard`` (the instructor's override) or ``applied``."""
    body: Mapped[str] = mapped_column(Text)
    """The schedule as JSON (:class:`service.schedule.Schedule`)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Extension(Base):
    """A per-student due date: the student's due date and close move by the same amount."""

    __tablename__ = "extensions"

    assignment: Mapped[str] = mapped_column(String(64), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# The course's filters and the per-day chart read submissions by assignment and time; the live
# refresh the newest start and finish (migrations 0003 and 0006).
Index("ix_submissions_assignment_received", Submission.assignment, Submission.received_at)
Index("ix_submissions_finished_at", Submission.finished_at)
Index("ix_submissions_started_at", Submission.started_at)
