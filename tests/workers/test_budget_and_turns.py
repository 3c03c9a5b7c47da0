"""One attempt and the student's next submission: let through once this one is done; a spent budget is
final."""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from service import intake
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue
from tests.workers.fake_grader import FakeGrader
from workers import attempt


class OverBudget(FakeGrader):
    def grade(self, source: bytes, **kwargs):  # type: ignore[no-untyped-def]
        raise SoftTimeLimitExceeded()  # what Celery raises in the task at the soft time limit


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def two_uploads(sessions, queue) -> list[str]:
    with sessions() as s:
        create_token(session=s, student="alice")
        alice = s.query(Student).one()
        return [intake.create(session=s, queue=queue, student=alice, assignment="ex08",
                              content=f"x = {i}\n".encode())[0].id for i in range(2)]


def statuses(sessions, ids) -> list[str]:
    with sessions() as s:
        return [s.get(Submission, i).status for i in ids]


@pytest.mark.parametrize(("grader", "outcome"), [(FakeGrader(), "graded"), (OverBudget(), "failed")])
def test_the_students_next_submission_is_sent_once_this_one_is_done(sessions, grader, outcome):
    queue = MemoryQueue()
    first, second = two_uploads(sessions, queue)
    ctx = attempt.Attempt(sessions=sessions, grader_for=lambda _a: grader, publish=lambda *_: None,
                          max_attempts=3, queue=queue)
    assert queue.sent == [first] and statuses(sessions, [second]) == ["held"]
    assert attempt.run(first, task_id="t1", ctx=ctx) == outcome
    assert queue.sent == [first, second] and statuses(sessions, [first, second]) == [outcome, "queued"]


def test_a_task_past_its_soft_time_limit_is_not_retried(sessions):
    queue = MemoryQueue()
    first, _ = two_uploads(sessions, queue)
    ctx = attempt.Attempt(sessions=sessions, grader_for=lambda _a: OverBudget(), publish=lambda *_: None,
                          max_attempts=3, queue=queue)
    assert attempt.run(first, task_id="t1", ctx=ctx) == "failed"  # on its first attempt of three
    with sessions() as s:
        row = s.get(Submission, first)
        assert row.attempts == 1 and "over the time budget" in row.error
