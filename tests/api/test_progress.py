"""The event stream: database snapshots plus live per-test events from a real Redis."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import redis

from api import events
from api.auth import create_token
from api.db import lifecycle
from api.db.models import Student, Submission
from api.db.session import session_factory
from api.progress import stream


def frames(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_stream_forwards_live_test_events_then_ends_at_graded(database_url, redis_url):
    sessions = session_factory(database_url)
    with sessions() as s:
        create_token(session=s, student="alice")
        row = Submission(student_id=s.query(Student).one().id, assignment="ex08", content=b"x", sha256="0")
        s.add(row)
        s.commit()
        sid = row.id
        held = lifecycle.claim(s, sid, task_id="t")

    def worker() -> None:  # what workers.grading does, by hand and slowly
        time.sleep(0.3)
        r = redis.Redis.from_url(redis_url)
        events.publish(r, sid, "test", {"id": sid, "name": "dropout", "number": "1", "status": "passed",
                                        "score": 2.0, "max_score": 2.0})
        time.sleep(0.3)
        with sessions() as s:
            report = {"tests": [{"name": "dropout", "number": "1", "status": "passed"}], "score": 2.0}
            lifecycle.store(s, held, report_json=json.dumps(report), score=2.0, max_score=2.0)

    async def collect() -> str:
        import redis.asyncio

        aredis = redis.asyncio.Redis.from_url(redis_url)
        text = "".join([f async for f in stream(sid, database_url=database_url, aredis=aredis)])
        await aredis.aclose()
        return text

    threading.Thread(target=worker).start()
    got = frames(asyncio.run(asyncio.wait_for(collect(), 20)))
    assert [name for name, _ in got] == ["running", "test", "graded"]
    assert got[1][1]["name"] == "dropout" and got[2][1]["score"] == 2.0
