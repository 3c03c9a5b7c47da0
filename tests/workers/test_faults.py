"""Nothing lost, recovered in seconds: kill -9 a worker mid-grading, restart Redis with a queue.

Each submission is graded exactly once, and the last one within a minute of the
fault being over (the broker back, a worker up again), with the recovery
settings at their defaults: the sweeper's interval, its re-send threshold for
queued rows and its heartbeat-based takeover of a dead process's rows. The real
grader grades the reference solution with a sleep at import, so grading takes a
known time and the kill lands mid-grading. One student per submission: fair
queueing lets one submission per student into the broker.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

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
LIMITS = {"AUTOGRADER_TASK_SOFT_TIME_LIMIT_S": "20", "AUTOGRADER_TASK_TIME_LIMIT_S": "30"}
RECOVERY_S = 60
"""The goal: the last submission graded at most this long after the fault is over."""


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


def submit_many(settings, n: int, sleep: float) -> list[str]:
    queue = TaskSender(settings)
    with session_factory(settings.database)() as s:
        for i in range(n):
            create_token(session=s, student=f"student{i}")
        students = list(s.scalars(select(Student).order_by(Student.id)))
        return [create(session=s, queue=queue, student=student, assignment="ex08",
                       content=REFERENCE + f"\nimport time\ntime.sleep({sleep})  # submission {i}\n".encode()
                       )[0].id
                for i, student in enumerate(students)]


def wait_all_graded(settings, ids: list[str], timeout: float) -> list[Submission]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_factory(settings.database)() as s:
            rows = list(s.scalars(select(Submission).where(Submission.id.in_(ids))))
        if all(r.status == "graded" for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(Counter(r.status for r in rows))


def seconds_to_last_grade(rows: list[Submission], since: datetime) -> float:
    last = max(r.finished_at for r in rows)
    return (last - since).total_seconds()


def graded_once(ids: list[str], *workers: Worker) -> None:
    stored = Counter(line.split(": ")[0] for w in workers for line in w.outcomes()
                     if line.endswith(": graded"))
    assert stored == Counter(ids), stored


def running(settings) -> bool:
    with session_factory(settings.database)() as s:
        return s.scalar(select(Submission.id).where(Submission.status == "running")) is not None


def test_kill_9_mid_grading_loses_nothing(settings, private_redis, tmp_path):
    settings = settings.model_copy(update={"redis_url": private_redis.url})
    env = dict(database_url=settings.database, redis_url=private_redis.url, **LIMITS)
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
    back = datetime.now(UTC)
    try:
        rows = wait_all_graded(settings, ids, timeout=RECOVERY_S + 30)
    finally:
        second.stop()
    graded_once(ids, first, second)
    assert any(r.attempts > 1 for r in rows)  # some were taken over after the kill
    assert seconds_to_last_grade(rows, back) <= RECOVERY_S


def test_redis_restart_with_a_queue_loses_nothing(settings, private_redis, tmp_path):
    settings = settings.model_copy(update={"redis_url": private_redis.url})
    worker = Worker(log=tmp_path / "w.log", database_url=settings.database, redis_url=private_redis.url,
                    **LIMITS).start()
    try:
        ids = submit_many(settings, 10, sleep=0.3)
        time.sleep(0.5)
        assert private_redis.proc is not None
        depth = __import__("redis").Redis.from_url(private_redis.url).llen("grading")
        assert depth > 0  # messages are waiting in Redis when it goes away
        private_redis.restart()  # the queue is gone with it
        back = datetime.now(UTC)
        rows = wait_all_graded(settings, ids, timeout=RECOVERY_S + 30)
    finally:
        worker.stop()
    graded_once(ids, worker)
    assert {r.status for r in rows} == {"graded"}
    assert seconds_to_last_grade(rows, back) <= RECOVERY_S
