"""What the dashboard reads: the filtered submissions table, the students and tokens pages, queue health.

The course's grades (overview, gradebook, CSV) are in :mod:`api.dashboard.course`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from service.db.models import Student, Submission, Token

SORTS = {"received": Submission.received_at, "score": Submission.score, "student": Student.name,
         "status": Submission.status}
PAGE_SIZE = 25
STUDENTS_PAGE = 50


@dataclass
class Filters:
    """The submissions table's query string."""

    student: str = ""
    status: str = ""
    assignment: str = ""
    min_score: float | None = None
    max_score: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "received"
    order: str = "desc"
    page: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def apply(self, q: Select[Any, Any]) -> Select[Any, Any]:
        conds = [c for c in (
            Student.name.ilike(f"%{self.student}%") if self.student else None,
            Submission.status == self.status if self.status else None,
            Submission.assignment == self.assignment if self.assignment else None,
            Submission.score >= self.min_score if self.min_score is not None else None,
            Submission.score <= self.max_score if self.max_score is not None else None,
            Submission.received_at >= self.since if self.since else None,
            Submission.received_at < self.until + timedelta(days=1) if self.until else None,
        ) if c is not None]
        return q.where(and_(*conds)) if conds else q


def page(session: Session, f: Filters) -> tuple[list[tuple[Submission, str]], int]:
    """One page of (submission, student name) and the total number of matching rows."""
    base = f.apply(select(Submission, Student.name).join(Student, Student.id == Submission.student_id))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    col = SORTS.get(f.sort, Submission.received_at)
    order = col.asc().nulls_last() if f.order == "asc" else col.desc().nulls_last()
    rows = session.execute(base.order_by(order, Submission.id).offset((max(f.page, 1) - 1) * PAGE_SIZE)
                           .limit(PAGE_SIZE)).all()
    return [(r[0], r[1]) for r in rows], int(total)


def latest_per_student(session: Session, assignment: str) -> list[tuple[str, str]]:
    """(id, status) of each student's newest submission of this assignment."""
    newest = (select(Submission.student_id, func.max(Submission.received_at).label("at"))
              .where(Submission.assignment == assignment).group_by(Submission.student_id).subquery())
    return [(i, st) for i, st in session.execute(select(Submission.id, Submission.status).join(newest, and_(
        Submission.student_id == newest.c.student_id, Submission.received_at == newest.c.at,
        Submission.assignment == assignment)))]


def students_page(session: Session, page: int) -> tuple[list[tuple[Student, int]], int]:
    """One page of students (by name) with their number of submissions, and how many there are."""
    total = session.scalar(select(func.count()).select_from(Student)) or 0
    names = (select(Student).order_by(Student.name).offset((max(page, 1) - 1) * STUDENTS_PAGE)
             .limit(STUDENTS_PAGE).subquery())
    counts = (select(Submission.student_id, func.count().label("n")).where(
        Submission.student_id.in_(select(names.c.id))).group_by(Submission.student_id).subquery())
    rows = session.execute(select(Student, func.coalesce(counts.c.n, 0)).join(names, names.c.id == Student.id)
                           .outerjoin(counts, counts.c.student_id == Student.id).order_by(Student.name)).all()
    return [(r[0], int(r[1])) for r in rows], int(total)


def tokens_page(session: Session, page: int) -> tuple[list[tuple[Token, str]], int]:
    """One page of tokens, newest first, with their student's name."""
    total = session.scalar(select(func.count()).select_from(Token)) or 0
    rows = session.execute(select(Token, Student.name).join(Student, Student.id == Token.student_id)
                           .order_by(Token.created_at.desc(), Token.id.desc())
                           .offset((max(page, 1) - 1) * STUDENTS_PAGE).limit(STUDENTS_PAGE)).all()
    return [(r[0], r[1]) for r in rows], int(total)


def pages(total: int, size: int = 50) -> int:
    return max(1, -(-total // size))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    return {s: int(c) for s, c in rows}


def version(session: Session) -> str:
    """Changes whenever a submission arrives or changes state (the live view polls it)."""
    # One scalar subquery per aggregate: each is then answered from its own index (SQLite reads the
    # whole table for several aggregates in one SELECT).
    n, last_in, last_done, started = session.execute(select(*(
        select(agg).scalar_subquery() for agg in (func.count(Submission.id), func.max(Submission.received_at),
                                                  func.max(Submission.finished_at),
                                                  func.max(Submission.started_at))))).one()
    return f"{n}:{last_in}:{last_done}:{started}"


def oldest_queued_s(session: Session) -> float | None:
    at = session.scalar(select(func.min(Submission.received_at)).where(Submission.status == "queued"))
    return (datetime.now(UTC) - _utc(at)).total_seconds() if at else None


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"
