"""Recovery in seconds: what the sweeper sends again after the broker lost its queue or a worker died."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
import redis

from service import lifecycle
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue, one_test_report
from workers import sweeper

HOUR, NOW = timedelta(hours=1), timedelta(seconds=-1)


@pytest.fixture
def session(database_url):
    with session_factory(database_url)() as s:
        yield s


@pytest.fixture
def sid(session) -> str:
    create_token(session=session, student="alice")
    row = Submission(student_id=session.query(Student).one().id, assignment="ex08", content=b"x=1",
                     sha256="0")
    session.add(row)
    session.commit()
    lifecycle.send(session, MemoryQueue(), row.id)
    return row.id


def test_a_queued_row_is_sent_again_after_the_short_resend_threshold(session, sid):
    assert lifecycle.requeue_stale(session, older_than=HOUR, max_attempts=3, resend_after=HOUR) == []
    assert lifecycle.requeue_stale(session, older_than=HOUR, max_attempts=3, resend_after=NOW) == [sid]
    # the duplicate is harmless: one copy claims, the other finds nothing to take
    held = lifecycle.claim(session, sid, task_id="original")
    assert lifecycle.claim(session, sid, task_id="resent") is None
    assert lifecycle.store(session, held, report=one_test_report())


def test_a_running_row_whose_process_is_gone_is_taken_back_early(session, sid):
    held = lifecycle.claim(session, sid, task_id="t-dead")
    kw = dict(older_than=HOUR, max_attempts=3, lost_after=NOW)
    assert lifecycle.requeue_stale(session, live_tasks={"t-dead"}, **kw) == []  # its process still beats
    assert lifecycle.requeue_stale(session, live_tasks=None, **kw) == []  # nobody beats: cannot tell
    assert lifecycle.requeue_stale(session, older_than=HOUR, max_attempts=3, lost_after=HOUR,
                                   live_tasks={"t-other"}) == []  # not long enough
    assert lifecycle.requeue_stale(session, live_tasks={"t-other"}, **kw) == [sid]
    assert not lifecycle.store(session, held, report=one_test_report())  # the lost claim is fenced off


def test_live_tasks_come_from_the_heartbeats(redis_url):
    from service import heartbeats

    r = redis.Redis.from_url(redis_url)
    stop = heartbeats.start(r, beat := {"pid": 1})  # this process, idle
    r.set("autograder:workers:elsewhere:2", json.dumps({"pid": 2, "task_id": "t-busy"}), ex=15)
    try:
        deadline = time.monotonic() + 5
        while len(heartbeats.alive(r)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sweeper.live_tasks(r) == {"t-busy"}
        beat["task_id"] = "t-mine"  # read at the next beat
        while sweeper.live_tasks(r) != {"t-busy", "t-mine"} and time.monotonic() < deadline + 10:
            time.sleep(0.1)
        assert sweeper.live_tasks(r) == {"t-busy", "t-mine"}
    finally:
        stop()
        r.delete("autograder:workers:elsewhere:2")
    assert sweeper.live_tasks(r) is None  # nobody beats: unknown, not "every row is lost"
    assert sweeper.live_tasks(None) is None


def test_sweeper_resends_queued_rows_only_when_the_broker_holds_fewer_messages(settings, session, sid):
    settings = settings.model_copy(update={"resend_after_s": 0.0})
    sent: list[str] = []
    assert sweeper.sweep_once(settings, sent.append, waiting_messages=1) == []  # the broker has it
    assert sweeper.sweep_once(settings, sent.append, waiting_messages=0) == [sid]  # it lost it
    assert sweeper.sweep_once(settings, sent.append, waiting_messages=None) == [sid]  # cannot tell: re-send
    assert sent == [sid, sid]


def test_waiting_messages_counts_the_grading_queue_on_redis(settings, redis_url):
    from service.task_sender import TaskSender

    settings = settings.model_copy(update={"redis_url": redis_url,
                                           "queue": f"grading-count-{time.time_ns()}"})
    sender = TaskSender(settings)
    assert sender.waiting_messages() == 0  # an empty Redis queue does not exist: nothing waits
    sender.enqueue("a")
    sender.enqueue("b")
    assert sender.waiting_messages() == 2
    redis.Redis.from_url(redis_url).delete(settings.queue)  # what a restart without persistence does
    assert sender.waiting_messages() == 0
    down = settings.model_copy(update={"redis_url": "redis://127.0.0.1:9/0"})
    assert TaskSender(down).waiting_messages() is None
