"""Report links' revocation: a generation per submission; a link is good for the generation it names."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, UTCDateTime, utcnow


class ReportLinkGeneration(Base):
    """A submission whose report links were revoked: only links of ``generation`` open it."""

    __tablename__ = "report_link_generations"

    submission_id: Mapped[str] = mapped_column(String(32), ForeignKey("submissions.id"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    """Revocations so far; a submission without a row is at generation 0."""
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
