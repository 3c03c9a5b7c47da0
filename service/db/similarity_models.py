"""Tables of the similarity check: its runs, the pairs each run found, and the TAs' verdicts on pairs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.db.models import Base, utcnow


class SimilarityRun(Base):
    """One comparison of an assignment's counted submissions (with each other and with known solutions)."""

    __tablename__ = "similarity_runs"
    __table_args__ = (Index("ix_similarity_runs_assignment", "assignment", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    """``on demand`` (the dashboard's button) or ``after the close``."""
    status: Mapped[str] = mapped_column(String(16), default="queued")
    """queued, running, done, failed."""
    done: Mapped[int] = mapped_column(Integer, default=0)
    """Files fingerprinted so far (the progress)."""
    total: Mapped[int] = mapped_column(Integer, default=0)
    """Files to fingerprint: counted submissions and known solutions."""
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    """Last sign of life: queued, claimed, or progress stored. A pending run silent too long was lost."""
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SimilarityPair(Base):
    """A flagged pair of one run: two counted submissions, or a submission and a known solution."""

    __tablename__ = "similarity_pairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("similarity_runs.id", ondelete="CASCADE"), index=True)
    a_submission: Mapped[str] = mapped_column(String(32))
    b_submission: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """None for a known solution (then ``known`` names its file)."""
    known: Mapped[str | None] = mapped_column(String(500), nullable=True)
    score: Mapped[float] = mapped_column(Float)
    matches: Mapped[str] = mapped_column(Text, default="[]")
    """JSON: ``[{"a_lines": [i, j], "b_lines": [k, l]}, ...]``."""


class SimilarityVerdict(Base):
    """A TA's verdict on a pair, kept across runs: the same two submissions (or submission and known file)."""

    __tablename__ = "similarity_verdicts"
    __table_args__ = (UniqueConstraint("assignment", "a_submission", "b_key", name="uq_similarity_verdict"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment: Mapped[str] = mapped_column(String(64))
    a_submission: Mapped[str] = mapped_column(String(32))
    b_key: Mapped[str] = mapped_column(String(520))
    """The other submission's id, or ``known:<file>``."""
    verdict: Mapped[str] = mapped_column(String(16))
    """dismissed or confirmed."""
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
