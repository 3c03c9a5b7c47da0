"""``/dashboard``: the course at a glance (grade histogram, pass rate per test, hints, submissions per day),
and ``/dashboard/live.json``, which every dashboard page polls for counts, the queue and the workers.

The aggregates are SQL over the tables :mod:`service.grades` keeps up to date
(``counted_grades``, ``test_results``): no stored report is parsed on a request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import InstructorDep
from api.dashboard import plots
from api.dashboard.gradebook import counted_tests, pass_rates
from api.deps import SessionDep, SettingsDep
from api.pages import render
from service import heartbeats, schedule
from service.course import course_member
from service.db.grade_models import CountedGrade, TestResultRow
from service.db.models import Student, Submission

router = APIRouter(prefix="/dashboard", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def overview_page(request: Request, web: InstructorDep, settings: SettingsDep, session: SessionDep,
                  assignment: str = "") -> HTMLResponse:
    assignment = assignment or settings.default_assignment
    o = overview(session, assignment)
    charts = {
        "histogram": plots.bars([f"{i * 10}%" for i in range(11)], o["histogram"],
                                title="Counted grade per student (% of max)"),
        "per_day": plots.bars([d[5:] for d, _ in o["per_day"]], [c for _, c in o["per_day"]],
                              title="Submissions per day", color=plots.PALETTE[3]),
    }
    return render(request, "overview.html", web, o=o, charts=charts, assignment=assignment,
                  assignments=settings.assignment_ids,
                  schedule=schedule.effective(session, settings.schedule, assignment))


@router.get("/live.json")
async def live(_w: InstructorDep, session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Counts, queue and workers (a submission's own page follows it over its event stream instead)."""
    health = await run_in_threadpool(queue_health, settings.redis_url, settings.queue)
    return JSONResponse({"version": version(session), "counts": status_counts(session),
                         "oldest_queued_s": oldest_queued_s(session), "queue": health})


def overview(session: Session, assignment: str) -> dict[str, Any]:
    """Grade histogram (11 bins, the last one 100 %), pass rate and hints over counted submissions."""
    students = session.scalar(select(func.count()).select_from(Student).where(course_member())) or 0
    grades = session.execute(select(CountedGrade.grade, CountedGrade.max_score).join(
        Student, Student.id == CountedGrade.student_id).where(
        CountedGrade.assignment == assignment, CountedGrade.submission_id.is_not(None),
        Student.is_instructor == False)).all()  # noqa: E712 - SQL
    bins = [0] * 11
    for grade, top in grades:
        bins[min(int((grade or 0) / top * 10 + 1e-9), 10) if top else 0] += 1
    n_students = func.count(func.distinct(TestResultRow.submission_id))  # one counted submission per student
    hint_rows = session.execute(
        select(TestResultRow.hint, n_students).where(counted_tests(assignment), TestResultRow.hint != "")
        .group_by(TestResultRow.hint).order_by(n_students.desc(), TestResultRow.hint).limit(10)).all()
    day = func.date(Submission.received_at)
    per_day = session.execute(select(day, func.count()).where(Submission.assignment == assignment)
                              .group_by(day).order_by(day.desc()).limit(30)).all()
    return {"students": int(students), "graded": len(grades), "histogram": bins,
            "pass_rates": [(num, name, ok / n) for num, name, n, ok in pass_rates(session, assignment)],
            "per_day": [(str(d), int(c)) for d, c in reversed(per_day)],
            "hints": [(h, int(n)) for h, n in hint_rows],
            "mean": sum(g or 0 for g, _ in grades) / len(grades) if grades else None}


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
    return (datetime.now(UTC) - at).total_seconds() if at else None


def queue_health(redis_url: str | None, queue_name: str) -> dict[str, Any]:
    """Messages waiting in the broker's queue and the workers' heartbeats (empty without Redis)."""
    if not redis_url:
        return {"ok": False, "waiting": None, "workers": [], "error": "no Redis configured"}
    import redis

    try:
        r = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        workers = heartbeats.alive(r)
        waiting = int(r.llen(queue_name))  # type: ignore[arg-type]  # the sync client returns an int
        return {"ok": bool(workers), "waiting": waiting, "workers": workers}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "waiting": None, "workers": [], "error": str(e)[:200]}
