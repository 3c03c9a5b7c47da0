"""The similarity check of an assignment's counted submissions: runs, their flagged pairs, the TAs' verdicts.

Every way in calls these: the dashboard's button and pages, the sweeper after an
assignment closes, the worker's task. The comparison itself is the grading library's
(``grader.similarity``), which the worker hands in as ``library``: the service layer
names no grading code but the report model and the assignment data.

A run compares the counted submission of every student (``counted_grades``) with each
other and with the known solutions of the assignment (``<similarity_known_dir>/<id>/``,
every ``.py`` file under it); only flagged pairs are stored. A verdict belongs to a pair
of submissions (or a submission and a known file), not to a run, so it is still there
when the check runs again. A flag is a reason to look, not a verdict (docs/similarity.md).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, aliased

from service import schedule as sched
from service.db.grade_models import CountedGrade
from service.db.models import Student, Submission, utcnow
from service.db.similarity_models import SimilarityPair, SimilarityRun, SimilarityVerdict

log = logging.getLogger(__name__)
VERDICTS = ("dismissed", "confirmed")
KNOWN = "known:"
PENDING = ("queued", "running")
LOST_AFTER = timedelta(hours=1)
"""A pending run silent this long was lost (progress is stored every 25 files, a few seconds apart)."""


class Library(Protocol):
    """What a run needs of ``grader.similarity`` (the module itself is one)."""

    THRESHOLD: float

    def handout(self, assignment_id: str) -> Any: ...

    def document(self, name: str, source: str, *, assignment: Any, known: bool = False) -> Any: ...

    def ranked(self, documents: Sequence[Any], *, min_score: float) -> list[Any]: ...


@dataclass(frozen=True)
class PairView:
    """A flagged pair as the dashboard and the CSV show it."""

    id: int
    score: float
    a_submission: str
    a_student: str
    b_submission: str | None
    b_student: str | None
    known: str | None
    """The known solution's file (relative to the assignment's folder) when ``b`` is one."""
    matches: list[dict[str, list[int]]] = field(default_factory=list)
    verdict: str | None = None
    note: str = ""


def request_run(session: Session, *, assignment: str, reason: str, send: Callable[[int], None],
                lost_after: timedelta = LOST_AFTER) -> SimilarityRun:
    """A new run, queued and sent to the workers; the pending one instead when there is one.

    A pending run with no sign of life for ``lost_after`` (its message or its worker was
    lost) is marked failed, and a new one starts. When the broker cannot be reached the
    new run is marked failed (saying so) and the error raised.
    """
    pending = session.scalar(select(SimilarityRun).where(SimilarityRun.assignment == assignment,
                                                         SimilarityRun.status.in_(PENDING)))
    if pending is not None and _aware(pending.updated_at) > utcnow() - lost_after:
        return pending
    if pending is not None:
        pending.status, pending.finished_at = "failed", utcnow()
        pending.error = "lost: no sign of life from a worker"
    run = SimilarityRun(assignment=assignment, reason=reason, status="queued", done=0, total=0)
    session.add(run)
    session.commit()
    try:
        send(run.id)
    except Exception as e:
        run.status, run.error = "failed", f"could not reach the workers: {e}"
        session.commit()
        raise
    return run


def request_after_close(session: Session, *, assignments: Sequence[str], env: dict[str, dict[str, Any]],
                        send: Callable[[int], None], now: datetime | None = None) -> list[int]:
    """A run for every assignment closed with counted submissions and no run since its close (the
    sweeper's)."""
    now = now or datetime.now(UTC)
    started = []
    for assignment in assignments:
        close = sched.effective(session, env, assignment).close()
        if close is None or close > now or not session.scalar(
                select(CountedGrade.submission_id).where(CountedGrade.assignment == assignment,
                                                         CountedGrade.submission_id.is_not(None)).limit(1)):
            continue
        since = session.scalar(select(SimilarityRun.id).where(SimilarityRun.assignment == assignment,
                                                              SimilarityRun.created_at >= close).limit(1))
        if since is None:
            started.append(request_run(session, assignment=assignment, reason="after the close",
                                       send=send).id)
    return started


def run(sessions: Callable[[], Session], run_id: int, *, library: Library, known_dir: Path | None,
        progress_every: int = 25) -> str:
    """The worker's task: fingerprint every file (saying how far it got), rank the pairs, store the flagged
    ones.

    Only the first worker to claim the queued run runs it: a message delivered twice (the
    broker's visibility timeout passed during a long run) does nothing the second time.
    """
    with sessions() as s:
        claimed = s.execute(update(SimilarityRun).where(SimilarityRun.id == run_id,
                                                        SimilarityRun.status == "queued")
                            .values(status="running", updated_at=utcnow()))
        s.commit()
        job = s.get(SimilarityRun, run_id)
        if job is None or claimed.rowcount != 1:  # type: ignore[attr-defined]
            return "nothing to do"
        try:
            _execute(s, job, library, known_dir, progress_every)
        except Exception as e:
            s.rollback()
            job.status, job.error, job.finished_at = "failed", f"{type(e).__name__}: {e}"[:2000], utcnow()
            s.commit()
            log.exception("similarity run %s failed", run_id)
            return "failed"
    return "done"


def _execute(s: Session, job: SimilarityRun, library: Library, known_dir: Path | None, every: int) -> None:
    files = [(sid, source, False) for sid, source in counted_sources(s, job.assignment)]
    files += [(KNOWN + name, source, True) for name, source in known_sources(known_dir, job.assignment)]
    job.done, job.total, job.error = 0, len(files), None
    s.commit()
    given = library.handout(job.assignment)
    documents = []
    for i, (name, source, known) in enumerate(files, start=1):
        try:
            documents.append(library.document(name, source, assignment=given, known=known))
        # a known file may not parse; nesting past the stack
        except (SyntaxError, ValueError, RecursionError):
            log.info("similarity run %s: %s cannot be compared, left out", job.id, name)
        if i % every == 0:
            job.done, job.updated_at = i, utcnow()
            s.commit()
    pairs = library.ranked(documents, min_score=library.THRESHOLD)
    s.execute(delete(SimilarityPair).where(SimilarityPair.run_id == job.id))
    s.add_all(_row(job.id, p) for p in pairs)
    job.status, job.done, job.threshold, job.finished_at = "done", len(files), library.THRESHOLD, utcnow()
    s.commit()


def _row(run_id: int, pair: Any) -> SimilarityPair:
    known = pair.b.removeprefix(KNOWN) if pair.b.startswith(KNOWN) else None
    matches = [{"a_lines": list(m.a_lines), "b_lines": list(m.b_lines)} for m in pair.matches]
    return SimilarityPair(run_id=run_id, a_submission=pair.a, b_submission=None if known else pair.b,
                          known=known, score=round(pair.score, 4), matches=json.dumps(matches))


def counted_sources(session: Session, assignment: str) -> list[tuple[str, str]]:
    """(submission id, source) of every student's counted submission of the assignment."""
    rows = session.execute(select(Submission.id, Submission.content).join(
        CountedGrade, CountedGrade.submission_id == Submission.id)
        .where(CountedGrade.assignment == assignment).order_by(Submission.id))
    return [(sid, content.decode("utf-8", "replace")) for sid, content in rows]


def known_sources(known_dir: Path | None, assignment: str) -> list[tuple[str, str]]:
    """(file relative to the assignment's folder, source) of each known solution; none without a folder."""
    folder = known_dir / assignment if known_dir else None
    if folder is None or not folder.is_dir():
        return []
    return [(str(p.relative_to(folder)), p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(folder.rglob("*.py"))]


def latest_run(session: Session, assignment: str) -> SimilarityRun | None:
    return session.scalar(select(SimilarityRun).where(SimilarityRun.assignment == assignment)
                          .order_by(SimilarityRun.id.desc()).limit(1))


def latest_done(session: Session, assignment: str) -> SimilarityRun | None:
    return session.scalar(select(SimilarityRun).where(SimilarityRun.assignment == assignment,
                                                      SimilarityRun.status == "done")
                          .order_by(SimilarityRun.id.desc()).limit(1))


def pairs(session: Session, run_id: int, pair_id: int | None = None) -> list[PairView]:
    """The flagged pairs of a run (or the one ``pair_id``), highest score first, with students and
    verdicts."""
    a_sub, b_sub = aliased(Submission), aliased(Submission)
    a_who, b_who = aliased(Student), aliased(Student)
    query = (select(SimilarityPair, SimilarityRun.assignment, a_who.name, b_who.name)
             .join(SimilarityRun, SimilarityRun.id == SimilarityPair.run_id)
             .join(a_sub, a_sub.id == SimilarityPair.a_submission).join(a_who, a_who.id == a_sub.student_id)
             .outerjoin(b_sub, b_sub.id == SimilarityPair.b_submission)
             .outerjoin(b_who, b_who.id == b_sub.student_id)
             .where(SimilarityPair.run_id == run_id).order_by(SimilarityPair.score.desc(), SimilarityPair.id))
    if pair_id is not None:
        query = query.where(SimilarityPair.id == pair_id)
    rows = session.execute(query).all()
    verdicts = _verdicts(session, rows[0][1]) if rows else {}
    out = []
    for p, _, a_name, b_name in rows:
        v = verdicts.get((p.a_submission, _b_key(p)))
        out.append(PairView(id=p.id, score=p.score, a_submission=p.a_submission, a_student=a_name,
                            b_submission=p.b_submission, b_student=b_name, known=p.known,
                            matches=json.loads(p.matches), verdict=v.verdict if v else None,
                            note=v.note if v else ""))
    return out


def pair(session: Session, pair_id: int, *, known_dir: Path | None) -> tuple[PairView, str, str, str] | None:
    """One pair, its assignment and both sources (the known file's as it is now), or None."""
    row = session.get(SimilarityPair, pair_id)
    if row is None:
        return None
    job = session.get(SimilarityRun, row.run_id)
    assert job is not None
    (view,) = pairs(session, row.run_id, pair_id)
    a_source = _source(session, row.a_submission)
    b_source = (_source(session, row.b_submission) if row.b_submission
                else dict(known_sources(known_dir, job.assignment)).get(row.known or "", ""))
    return view, job.assignment, a_source, b_source


def set_verdict(session: Session, pair_id: int, *, verdict: str, note: str) -> str | None:
    """Record (or replace) the verdict on a pair; returns its assignment, None when no such pair."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    row = session.get(SimilarityPair, pair_id)
    if row is None:
        return None
    job = session.get(SimilarityRun, row.run_id)
    assert job is not None
    key = (job.assignment, row.a_submission, _b_key(row))
    existing = session.scalar(select(SimilarityVerdict).where(
        SimilarityVerdict.assignment == key[0], SimilarityVerdict.a_submission == key[1],
        SimilarityVerdict.b_key == key[2]))
    if existing is None:
        existing = SimilarityVerdict(assignment=key[0], a_submission=key[1], b_key=key[2])
        session.add(existing)
    existing.verdict, existing.note, existing.decided_at = verdict, note.strip()[:5000], utcnow()
    session.commit()
    return job.assignment


def csv_export(session: Session, assignment: str) -> str:
    """The latest finished run's flagged pairs: students, submissions, score, matched lines, verdict, note."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["score", "student_a", "submission_a", "student_b", "submission_b", "known_solution",
                "matched_lines_a", "matched_lines_b", "verdict", "note"])
    job = latest_done(session, assignment)
    for p in pairs(session, job.id) if job else []:
        w.writerow([f"{p.score:.4f}", p.a_student, p.a_submission, p.b_student or "", p.b_submission or "",
                    p.known or "", _ranges(p.matches, "a_lines"), _ranges(p.matches, "b_lines"),
                    p.verdict or "", p.note])
    return out.getvalue()


def _ranges(matches: list[dict[str, list[int]]], side: str) -> str:
    return " ".join(f"{m[side][0]}-{m[side][1]}" for m in matches)


def _b_key(row: SimilarityPair) -> str:
    return row.b_submission or KNOWN + (row.known or "")


def _verdicts(session: Session, assignment: str) -> dict[tuple[str, str], SimilarityVerdict]:
    rows = session.scalars(select(SimilarityVerdict).where(SimilarityVerdict.assignment == assignment))
    return {(v.a_submission, v.b_key): v for v in rows}


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def _source(session: Session, submission_id: str | None) -> str:
    content = session.scalar(select(Submission.content).where(Submission.id == submission_id))
    return content.decode("utf-8", "replace") if content else ""
