"""The event stream of one submission: database snapshots (the truth) merged with worker pub/sub events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool

from api import events, submissions
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


async def stream(submission_id: str, *, database_url: str, aredis: Any) -> AsyncIterator[str]:
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
                    yield events.sse("test", test_event(submission_id, t))
            if now != last:
                yield events.sse(*now)
                last = now
            if now[0] in TERMINAL:
                return
            async for frame in _worker_events(pubsub):
                tests_seen = tests_seen or frame.startswith("event: test")
                yield frame
    finally:
        if pubsub is not None:
            await pubsub.aclose()


def test_event(submission_id: str, t: dict[str, Any]) -> dict[str, Any]:
    keys = ("name", "number", "status", "score", "max_score")
    return {"id": submission_id, **{k: t.get(k) for k in keys}}


async def _worker_events(pubsub: Any) -> AsyncIterator[str]:
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
        yield events.sse("test", payload["data"])
