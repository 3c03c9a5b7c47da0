"""Tables: students, their tokens (hashed), submissions."""

from __future__ import annotations

import enum
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and read back timezone-aware on every database.

    PostgreSQL keeps the zone (``timestamptz``); SQLite keeps none and hands back naive
    values, so this type writes UTC and reads UTC there. A naive value written is taken as UTC.
    The column is ``UTCDateTime()`` as before: no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class SubmissionStatus(enum.StrEnum):
    HELD = "held"  # waits in the database: the student has another submission in flight (fair queueing)
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    FAILED = "failed"  # our fault, attempts exhausted; a student's bad code is still `graded`


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_instructor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("student_id", "idempotency_key", name="uq_submission_idempotency"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    assignment: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="layers.py")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    seed: Mapped[int] = mapped_column(Integer, default=lambda: secrets.randbelow(2**31))
    """Grading seed, drawn per submission: inputs differ between submissions (nothing to harvest and
    replay), and a regrade reuses it, so it gives the same report."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=SubmissionStatus.QUEUED.value, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    """Last time a message was sent for it; the sweeper re-enqueues from here."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Claims so far; also the fencing token: only the latest claim may store a report."""
    task_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Celery task id of the latest claim; a redelivery of the same message may take over."""
    report: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The grader's Report as JSON."""
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Received to stored, seconds (feeds the Prometheus histogram)."""
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
