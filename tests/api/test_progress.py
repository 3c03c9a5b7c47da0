"""The event stream: database snapshots plus live per-test events from a real Redis."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import redis

from api.sse_stream import stream
from service import lifecycle
from service import progress_events as events
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import one_test_report


def test_stream_forwards_live_test_events_then_ends_at_graded(database_url, redis_url):
    sessions = session_factory(database_url)
    with sessions() as s:
        create_token(session=s, student="alice")
        row = Submission(student_id=s.query(Student).one().id, assignment="ex08", content=b"x", sha256="0")
        s.add(row)
        s.commit()
        sid = row.id
        held = lifecycle.claim(s, sid, task_id="t")

    def worker() -> None:  # what workers.attempt does, by hand and slowly
        time.sleep(0.3)
        r = redis.Redis.from_url(redis_url)
        events.Publisher(r)(sid, "test", {"id": sid, "name": "dropout", "number": "1", "status": "passed",
                                        "score": 2.0, "max_score": 2.0})
        time.sleep(0.3)
        with sessions() as s:
            lifecycle.store(s, held, report=one_test_report(score=2.0, max_score=2.0, name="dropout"))

    async def collect() -> str:
        import redis.asyncio

        aredis = redis.asyncio.Redis.from_url(redis_url)
        got = [e async for e in stream(sid, database_url=database_url, aredis=aredis)]
        await aredis.aclose()
        return got

    threading.Thread(target=worker).start()
    got = asyncio.run(asyncio.wait_for(collect(), 20))
    assert [name for name, _ in got] == ["running", "test", "graded"]
    assert got[1][1]["name"] == "dropout" and got[2][1]["score"] == 2.0


def test_a_stream_gives_back_the_requests_database_connection_before_it_starts(database_url):
    """A page's stream may stay open for an hour: the session that checked who may follow it must not keep a
    pooled connection (in a transaction) that long, or a few dozen open pages empty the pool."""
    from api.sse_stream import response
    from service.db.session import engine_for

    sessions = session_factory(database_url)
    request_session = sessions()
    request_session.query(Submission).count()  # what the route's checks do: a connection, a transaction
    pool = engine_for(database_url).pool
    assert pool.checkedout() == 1

    async def never() -> AsyncIterator[tuple[str, dict]]:
        await asyncio.sleep(3600)
        yield "queued", {}

    response(never(), request_session=request_session)
    assert pool.checkedout() == 0


def test_a_pages_count_starts_again_when_a_retry_grades_every_test_again():
    from api.sse_stream import progress_only

    async def events() -> AsyncIterator[tuple[str, dict]]:
        for name, data in [("running", {"id": "s", "attempt": 1}), ("test", {"name": "a"}),
                           ("test", {"name": "b"}), ("running", {"id": "s", "attempt": 2}),
                           ("test", {"name": "a"})]:
            yield name, data

    async def collect() -> list[tuple[str, dict]]:
        return [e async for e in progress_only(events())]

    counts = [d["done"] for name, d in asyncio.run(collect()) if name == "test"]
    assert counts == [1, 2, 1]  # not 3 of the second attempt: the page never shows more tests than there are
