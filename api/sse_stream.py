"""The SSE stream of one submission: database snapshots (the truth) merged with the workers' progress events.

:func:`stream` yields ``(event, data)`` pairs; :func:`response` sends them as
Server-Sent Events (``sse-starlette``, which also sends the keep-alive pings).
The workers publish through ``service.progress_events``. The pages' live
progress (a student's report, a shared report link's page, the instructor's
submission page) is one stream for all of them, :func:`progress_response`:
states and a count of tests done, nothing of the report, so whoever may open
the page may follow it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from grader.report import Report
from service import intake, progress_events, report_view, visibility
from service.db.models import Submission
from service.db.session import session_factory

TERMINAL = ("graded", "failed")
POLL_S = 1.0
PING_S = 15
MAX_STREAM_S = 3600.0
Event = tuple[str, dict[str, Any]]
Redact = Callable[[str, dict[str, Any]], dict[str, Any]]


def snapshot(database_url: str, submission_id: str) -> Event:
    """The event that describes the row now: queued (with position), running, graded or failed."""
    with session_factory(database_url)() as s:
        row = s.get(Submission, submission_id)
        assert row is not None
        if row.status in ("queued", "held"):  # held: waits for the student's previous one (fair queueing)
            return "queued", {"id": row.id, "position": intake.queue_position(s, row),
                              "held": row.status == "held"}
        if row.status == "running":
            return "running", {"id": row.id, "attempt": row.attempts}
        if row.status == "graded":
            return "graded", {"id": row.id, "score": row.score, "max_score": row.max_score,
                              "report": json.loads(row.report or "null")}
        return "failed", {"id": row.id, "error": row.error}


def redact_nothing(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """For instructors: every event as it is."""
    return data


def redact_hidden(*, release_at: datetime | None) -> Redact:
    """For students: hidden tests stay hidden until ``release_at`` (in test events and the report)."""

    def redact(event: str, data: dict[str, Any]) -> dict[str, Any]:
        if event == "test":
            return visibility.test_event_for_student(data, release_at=release_at)
        if event == "graded" and data.get("report") is not None:
            report = visibility.for_student(Report.from_dict(data["report"]),
                                            release_at=release_at) or {}
            return {**data, "report": report, "score": report.get("score"),
                    "max_score": report.get("max_score")}
        if event == "failed":
            return {**data, "error": visibility.error_for_student(data.get("error"), release_at=release_at)}
        return data

    return redact


async def stream(submission_id: str, *, database_url: str, aredis: Any,
                 redact: Redact = redact_nothing) -> AsyncIterator[Event]:
    """The submission's events until it is graded or failed; ``redact`` trims what the viewer may not see."""
    pubsub = aredis.pubsub() if aredis is not None else None
    try:
        if pubsub is not None:
            await pubsub.subscribe(progress_events.channel(submission_id))  # before the snapshot: no gap
        last: Event | None = None
        tests_seen = False
        deadline = time.monotonic() + MAX_STREAM_S
        while time.monotonic() < deadline:
            now = await run_in_threadpool(snapshot, database_url, submission_id)
            if now[0] == "graded" and not tests_seen:  # graded before we listened: replay from the report
                for t in Report.from_dict(now[1]["report"]).tests:
                    yield "test", redact("test", {"id": submission_id, **report_view.test_summary(t)})
            if now != last:
                yield now[0], redact(*now)
                last = now
            if now[0] in TERMINAL:
                return
            if (data := await _worker_test_event(pubsub)) is not None:
                tests_seen = True
                yield "test", redact("test", data)
    finally:
        if pubsub is not None:
            await pubsub.aclose()


async def _worker_test_event(pubsub: Any) -> dict[str, Any] | None:
    """A per-test event the worker published during one poll interval, if any."""
    if pubsub is None:
        await asyncio.sleep(POLL_S)
        return None
    try:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_S)
    except Exception:  # noqa: BLE001 - Redis went away: fall back to polling the database
        await asyncio.sleep(POLL_S)
        return None
    if msg is None:
        return None
    event, data = progress_events.decode(msg["data"])
    return data if event == "test" else None  # status changes come from the database snapshot instead


async def progress_only(events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """What a page's live progress needs: the states (held or queued with its place, running) and how many
    tests are done. The page reloads the report itself once grading ends, redacted for whoever views it, so
    the raw report must not reach the browser: a shared link's viewer may not see hidden tests, and a
    failure's error or a test's name may name them."""
    done, attempt = 0, None
    async for name, data in events:
        if name in ("graded", "failed"):
            data = {"id": data["id"]}
        elif name == "running":
            if attempt is not None and data.get("attempt") != attempt:
                done = 0  # a retry (a worker lost) grades every test again: count them from 0
            attempt = data.get("attempt")
        elif name == "test":
            done += 1
            data = {"done": done}
        yield name, data


def progress_response(submission_id: str, *, database_url: str, aredis: Any,
                      request_session: Session) -> EventSourceResponse:
    """The live progress of one submission for a page; the caller has checked that the viewer may see it."""
    return response(progress_only(stream(submission_id, database_url=database_url, aredis=aredis)),
                    request_session=request_session)


def response(events: AsyncIterator[Event], *, request_session: Session) -> EventSourceResponse:
    """Server-Sent Events of ``events``, with a keep-alive ping and no caching by proxies.

    The request's database session (which checked who may follow) is closed first: a stream may last an
    hour, and the session would otherwise keep a pooled connection, in a transaction, until the response
    ends; a few dozen open pages would empty the pool. The stream takes a connection per look instead.
    """
    request_session.close()

    async def frames() -> AsyncIterator[dict[str, str]]:
        async for name, data in events:
            yield {"event": name, "data": json.dumps(data)}

    return EventSourceResponse(frames(), ping=PING_S, headers={"Cache-Control": "no-store",
                                                               "X-Accel-Buffering": "no"})
