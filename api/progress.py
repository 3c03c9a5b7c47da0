"""The event stream of one submission: database snapshots (the truth) merged with worker pub/sub events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from api import events, submissions, visibility
from api.db.models import Submission
from api.db.session import session_factory

TERMINAL = ("graded", "failed")
POLL_S = 1.0
MAX_STREAM_S = 3600.0


def snapshot(database_url: str, submission_id: str) -> tuple[str, dict[str, Any]]:
    """The event that describes the row now: queued (with position), running, graded or failed."""
    with session_factory(database_url)() as s:
        row = s.get(Submission, submission_id)
        assert row is not None
        if row.status == "queued":
            return "queued", {"id": row.id, "position": submissions.queue_position(s, row)}
        if row.status == "running":
            return "running", {"id": row.id, "attempt": row.attempts}
        if row.status == "graded":
            return "graded", {"id": row.id, "score": row.score, "max_score": row.max_score,
                              "report": json.loads(row.report or "null")}
        return "failed", {"id": row.id, "error": row.error}


Redact = Callable[[str, dict[str, Any]], dict[str, Any]]


def redact_nothing(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """For instructors: every event as it is."""
    return data


def redact_hidden(*, release_at: datetime | None) -> Redact:
    """For students: hidden tests stay hidden until ``release_at`` (in test events and the report)."""

    def redact(event: str, data: dict[str, Any]) -> dict[str, Any]:
        if event == "test":
            return visibility.test_event_for_student(data, release_at=release_at)
        if event == "graded" and data.get("report") is not None:
            report = visibility.for_student(data["report"], release_at=release_at) or {}
            return {**data, "report": report, "score": report.get("score"), "max_score": report.get("max_score")}
        return data

    return redact


async def stream(submission_id: str, *, database_url: str, aredis: Any,
                 redact: Redact = redact_nothing) -> AsyncIterator[str]:
    """The submission's events; ``redact(event, data)`` trims what the viewer may not see."""
    pubsub = aredis.pubsub() if aredis is not None else None
    try:
        if pubsub is not None:
            await pubsub.subscribe(events.channel(submission_id))  # before the snapshot: no gap
        last: tuple[str, dict[str, Any]] | None = None
        tests_seen = False
        deadline = time.monotonic() + MAX_STREAM_S
        while time.monotonic() < deadline:
            now = await run_in_threadpool(snapshot, database_url, submission_id)
            if now[0] == "graded" and not tests_seen:  # graded before we listened: replay from the report
                for t in (now[1]["report"] or {}).get("tests", []):
                    yield events.sse("test", redact("test", test_event(submission_id, t)))
            if now != last:
                yield events.sse(now[0], redact(*now))
                last = now
            if now[0] in TERMINAL:
                return
            async for frame in _worker_events(pubsub, redact):
                tests_seen = tests_seen or frame.startswith("event: test")
                yield frame
    finally:
        if pubsub is not None:
            await pubsub.aclose()


def test_event(submission_id: str, t: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "number", "status", "score", "max_score", "visibility")
    return {"id": submission_id, **{k: t.get(k) for k in keys}}


async def _worker_events(pubsub: Any, redact: Redact) -> AsyncIterator[str]:
    """Per-test progress published by the worker during one poll interval (or a keep-alive)."""
    if pubsub is None:
        await asyncio.sleep(POLL_S)
        yield ": keep-alive\n\n"
        return
    try:
        msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_S)
    except Exception:  # noqa: BLE001 - Redis went away: fall back to polling the database
        await asyncio.sleep(POLL_S)
        msg = None
    if msg is None:
        yield ": keep-alive\n\n"
        return
    payload = json.loads(msg["data"])
    if payload["event"] == "test":  # status changes come from the database snapshot instead
        yield events.sse("test", redact("test", payload["data"]))
