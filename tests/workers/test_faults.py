"""Nothing lost: kill -9 a worker mid-grading, restart Redis with a queue; each submission graded once.

The real grader grades the reference solution with a sleep at import, so grading
takes a known time and the kill lands mid-grading; the sweeper's deadline is
shortened to seconds.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from service.db.models import Student, Submission
from service.db.session import session_factory
from service.intake import create
from service.private_redis import PrivateRedis
from service.task_sender import TaskSender
from service.tokens import create_token
from tests.workers.service import ROOT, Worker

pytestmark = [pytest.mark.slow, pytest.mark.service]
REFERENCE = (ROOT / "reference" / "ex08" / "layers.py").read_bytes()
FAST_SWEEP = {"AUTOGRADER_SWEEP_AFTER_S": "4", "AUTOGRADER_SWEEP_INTERVAL_S": "1",
              "AUTOGRADER_TASK_SOFT_TIME_LIMIT_S": "2", "AUTOGRADER_TASK_TIME_LIMIT_S": "3"}


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def submit_many(settings, n: int, sleep: float) -> list[str]:
    queue = TaskSender(settings)
    with session_factory(settings.database)() as s:
        create_token(session=s, student="alice")
        student = s.scalar(select(Student))
        return [create(session=s, queue=queue, student=student, assignment="ex08",
                       content=REFERENCE + f"\nimport time\ntime.sleep({sleep})  # submission {i}\n".encode())[0].id
                for i in range(n)]


def wait_all_graded(settings, ids: list[str], timeout: float) -> list[Submission]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory(settings.database)() as s:
            rows = list(s.scalars(select(Submission).where(Submission.id.in_(ids))))
        if all(r.status == "graded" for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(Counter(r.status for r in rows))


def graded_once(ids: list[str], *workers: Worker) -> None:
    stored = Counter(line.split(": ")[0] for w in workers for line in w.outcomes() if line.endswith(": graded"))
    assert stored == Counter(ids), stored


def running(settings) -> bool:
    with session_factory(settings.database)() as s:
        return s.scalar(select(Submission.id).where(Submission.status == "running")) is not None


def test_kill_9_mid_grading_loses_nothing(settings, private_redis, tmp_path):
    settings = settings.model_copy(update={"redis_url": private_redis.url})
    env = dict(database_url=settings.database, redis_url=private_redis.url, **FAST_SWEEP)
    first = Worker(log=tmp_path / "w1.log", concurrency=2, **env).start()
    ids = submit_many(settings, 8, sleep=1.0)
    deadline = time.monotonic() + 20
    while not running(settings):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.3)
    first.kill9()
    assert running(settings)  # killed mid-grading: the rows it held still say running
    second = Worker(log=tmp_path / "w2.log", concurrency=2, **env).start()
    try:
        rows = wait_all_graded(settings, ids, timeout=60)
    finally:
        second.stop()
    graded_once(ids, first, second)
    assert any(r.attempts > 1 for r in rows)  # some were taken over after the kill


def test_redis_restart_with_a_queue_loses_nothing(settings, private_redis, tmp_path):
    settings = settings.model_copy(update={"redis_url": private_redis.url})
    worker = Worker(log=tmp_path / "w.log", database_url=settings.database, redis_url=private_redis.url,
                    **FAST_SWEEP).start()
    try:
        ids = submit_many(settings, 10, sleep=0.3)
        time.sleep(0.5)
        assert private_redis.proc is not None
        depth = __import__("redis").Redis.from_url(private_redis.url).llen("grading")
        assert depth > 0  # messages are waiting in Redis when it goes away
        private_redis.restart()  # the queue is gone with it
        rows = wait_all_graded(settings, ids, timeout=90)
    finally:
        worker.stop()
    graded_once(ids, worker)
    assert {r.status for r in rows} == {"graded"}
