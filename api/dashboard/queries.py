"""What the dashboard reads: the filtered submissions table, class statistics, the CSV, queue health."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from service.db.models import Student, Submission

SORTS = {"received": Submission.received_at, "score": Submission.score, "student": Student.name,
         "status": Submission.status}
PAGE_SIZE = 25


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


def latest_per_student(session: Session, assignment: str) -> list[Submission]:
    """Each student's newest submission of this assignment."""
    newest = (select(Submission.student_id, func.max(Submission.received_at).label("at"))
              .where(Submission.assignment == assignment).group_by(Submission.student_id).subquery())
    return list(session.scalars(select(Submission).join(newest, and_(
        Submission.student_id == newest.c.student_id, Submission.received_at == newest.c.at))))


def overview(session: Session, assignment: str) -> dict[str, Any]:
    """Score histogram (latest per student), pass rate per test, submissions per day, frequent hints."""
    latest = [r for r in latest_per_student(session, assignment) if r.status == "graded"]
    reports = [json.loads(r.report) for r in latest if r.report]
    bins = [0] * 10
    for r in latest:
        frac = (r.score or 0) / r.max_score if r.max_score else 0
        bins[min(int(frac * 10), 9)] += 1
    passed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    hints: Counter[str] = Counter()
    for rep in reports:
        for t in rep.get("tests", []):
            seen[t["name"]] += 1
            passed[t["name"]] += t.get("status") == "passed"
            if t.get("hint"):
                hints[t["hint"]] += 1
    day = func.date(Submission.received_at)
    per_day = session.execute(select(day, func.count()).where(Submission.assignment == assignment)
                              .group_by(day).order_by(day)).all()
    return {"students": len(latest_per_student(session, assignment)), "graded": len(latest),
            "histogram": bins, "pass_rates": [(n, passed[n] / seen[n]) for n in seen],
            "per_day": [(str(d), int(c)) for d, c in per_day][-30:], "hints": hints.most_common(10),
            "mean": sum((r.score or 0) for r in latest) / len(latest) if latest else None}


def csv_export(session: Session, assignment: str) -> str:
    """One line per student: latest and best score of this assignment."""
    rows = session.execute(select(Submission, Student.name).join(Student, Student.id == Submission.student_id)
                           .where(Submission.assignment == assignment)
                           .order_by(Student.name, Submission.received_at)).all()
    by_student: dict[str, list[Submission]] = {}
    for sub, name in rows:
        by_student.setdefault(name, []).append(sub)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["student", "submissions", "latest_score", "latest_max_score", "latest_status",
                "latest_at", "best_score", "best_submission"])
    for name, subs in by_student.items():
        latest = subs[-1]
        graded = [s for s in subs if s.status == "graded"]
        best = max(graded, key=lambda s: (s.score or 0, _utc(s.received_at))) if graded else None
        w.writerow([name, len(subs), _num(latest.score), _num(latest.max_score), latest.status,
                    _utc(latest.received_at).isoformat(), _num(best.score) if best else "",
                    best.id if best else ""])
    return out.getvalue()


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    return {s: int(c) for s, c in rows}


def version(session: Session) -> str:
    """Changes whenever a submission arrives or changes state (the live view polls it)."""
    n, last_in, last_done, started = session.execute(select(
        func.count(), func.max(Submission.received_at), func.max(Submission.finished_at),
        func.max(Submission.started_at))).one()
    return f"{n}:{last_in}:{last_done}:{started}"


def oldest_queued_s(session: Session) -> float | None:
    at = session.scalar(select(func.min(Submission.received_at)).where(Submission.status == "queued"))
    return (datetime.now(UTC) - _utc(at)).total_seconds() if at else None


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"
