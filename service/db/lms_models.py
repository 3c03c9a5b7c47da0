"""Tables of the LMS integration: where a submission came from, and every grade sent back."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, UTCDateTime, utcnow


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # not yet accepted by the LMS; a retry is scheduled
    DELIVERED = "delivered"  # the callback answered 2xx
    FAILED = "failed"  # attempts exhausted; the dashboard can re-send


class LmsLink(Base):
    """One submission that arrived through an LMS webhook, with the ids the LMS knows it by."""

    __tablename__ = "lms_links"
    __table_args__ = (UniqueConstraint("integration", "external_submission_id", name="uq_lms_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration: Mapped[str] = mapped_column(String(64))
    course_id: Mapped[str] = mapped_column(String(200))
    assignment_id: Mapped[str] = mapped_column(String(200))
    student_id: Mapped[str] = mapped_column(String(200))
    external_submission_id: Mapped[str] = mapped_column(String(200))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    callback_url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LmsDelivery(Base):
    """The grade of one graded attempt, sent to the callback URL: the delivery log."""

    __tablename__ = "lms_deliveries"
    __table_args__ = (UniqueConstraint("link_id", "grade_attempt", name="uq_lms_delivery_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("lms_links.id"), index=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    grade_attempt: Mapped[int] = mapped_column(Integer)
    """The submission's ``attempts`` when it was graded: a regrade is delivered again, a duplicate hook is
    not."""
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status_codes: Mapped[str] = mapped_column(Text, default="")
    """HTTP status of each attempt, space-separated (``-`` when no answer came)."""
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
