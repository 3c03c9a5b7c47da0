"""Conditional transitions: a report is stored once whoever else holds the same id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service import lifecycle
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import one_test_report


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
    return row.id


def store(session, held) -> bool:
    return lifecycle.store(session, held, report=one_test_report())


def test_claim_then_store_once(session, sid):
    held = lifecycle.claim(session, sid, task_id="t1")
    assert held is not None and held.attempt == 1
    assert lifecycle.claim(session, sid, task_id="t2") is None  # another message: someone holds it
    assert store(session, held) is True
    assert store(session, held) is False
    assert lifecycle.claim(session, sid, task_id="t1") is None  # graded: nothing to take
    row = session.get(Submission, sid, populate_existing=True)
    assert (row.status, row.attempts) == ("graded", 1) and row.latency_s >= 0


def test_redelivered_message_takes_over_and_fences_the_old_holder(session, sid):
    old = lifecycle.claim(session, sid, task_id="t1")
    new = lifecycle.claim(session, sid, task_id="t1")  # same message again: its worker died
    assert new is not None and new.attempt == 2
    assert store(session, old) is False
    assert store(session, new) is True


def test_sweeper_requeues_stale_running_rows_and_the_late_worker_cannot_store(session, sid):
    held = lifecycle.claim(session, sid, task_id="t1")
    assert lifecycle.requeue_stale(session, older_than=timedelta(hours=1), max_attempts=3) == []
    assert lifecycle.requeue_stale(session, older_than=timedelta(seconds=-1), max_attempts=3) == [sid]
    assert store(session, held) is False
    again = lifecycle.claim(session, sid, task_id="t2")
    assert again is not None and store(session, again) is True


def test_sweeper_requeues_rows_never_enqueued_and_gives_up_after_max_attempts(session, sid):
    assert lifecycle.requeue_stale(session, older_than=timedelta(seconds=-1), max_attempts=2) == [sid]
    lifecycle.claim(session, sid, task_id="t1")
    lifecycle.claim(session, sid, task_id="t1")  # two deliveries, both lost
    assert lifecycle.requeue_stale(session, older_than=timedelta(seconds=-1), max_attempts=2) == []
    assert session.get(Submission, sid, populate_existing=True).status == "failed"


def test_release_requeues_or_fails(session, sid):
    held = lifecycle.claim(session, sid, task_id="t1")
    assert lifecycle.release(session, held, error="boom", final=False)
    assert session.get(Submission, sid, populate_existing=True).status == "queued"
    held = lifecycle.claim(session, sid, task_id="t1")
    assert lifecycle.release(session, held, error="boom", final=True)
    row = session.get(Submission, sid, populate_existing=True)
    assert (row.status, row.error) == ("failed", "boom")
