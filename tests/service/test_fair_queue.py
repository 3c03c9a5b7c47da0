"""Fair queueing: one submission per student in flight, the rest held in the database and let through in
turn."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.ratelimit import UploadLimiter
from service import intake, lifecycle
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue, one_test_report

GOOD = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x, None\n"


@pytest.fixture
def session(database_url):
    with session_factory(database_url)() as s:
        yield s


@pytest.fixture
def students(session) -> dict[str, Student]:
    for name in ("alice", "bob"):
        create_token(session=session, student=name)
    return {st.name: st for st in session.scalars(select(Student))}


def upload(session, queue, student, i: int = 0, **kw) -> str:
    row, _ = intake.create(session=session, queue=queue, student=student, assignment="ex08",
                           content=GOOD + f"# {i}\n".encode(), **kw)
    return row.id


def statuses(session, ids: list[str]) -> list[str]:
    session.expire_all()
    return [session.get(Submission, i).status for i in ids]


def grade(session, queue, sid: str) -> None:
    """What a worker does: claim, store, then let the student's next one through."""
    held = lifecycle.claim(session, sid, task_id=f"task-{sid}")
    assert held is not None and lifecycle.store(session, held, report=one_test_report())
    lifecycle.advance_after(session, queue, sid)


def test_one_in_flight_per_student_and_a_new_student_overtakes_the_backlog(session, students):
    queue = MemoryQueue()
    alice = [upload(session, queue, students["alice"], i) for i in range(4)]
    bob = upload(session, queue, students["bob"])
    assert statuses(session, alice) == ["queued", "held", "held", "held"]
    assert queue.sent == [alice[0], bob]  # bob's first upload is next, not behind alice's three
    grade(session, queue, alice[0])
    assert queue.sent == [alice[0], bob, alice[1]]  # then alice's next, in the order she sent them
    assert statuses(session, alice) == ["graded", "queued", "held", "held"]
    for sid in alice[1:]:
        grade(session, queue, sid)
    assert queue.sent == [alice[0], bob, *alice[1:]] and statuses(session, alice) == ["graded"] * 4


def test_a_failed_submission_lets_the_next_one_through_too(session, students):
    queue = MemoryQueue()
    first, second = (upload(session, queue, students["alice"], i) for i in range(2))
    held = lifecycle.claim(session, first, task_id="t1")
    assert lifecycle.release(session, held, error="boom", final=False)  # a retry keeps its turn
    assert lifecycle.advance_after(session, queue, first) is None and statuses(session, [second]) == ["held"]
    held = lifecycle.claim(session, first, task_id="t1")
    assert lifecycle.release(session, held, error="boom", final=True)
    assert lifecycle.advance_after(session, queue, first) == second and queue.sent == [first, second]


def test_admit_lets_one_through_however_often_it_is_called(session, students):
    queue = MemoryQueue()
    ids = [upload(session, queue, students["alice"], i) for i in range(3)]
    assert [lifecycle.admit(session, students["alice"].id) for _ in range(3)] == [None] * 3
    assert statuses(session, ids) == ["queued", "held", "held"]


def test_sweeper_admits_what_an_interrupted_advance_left_held(session, students):
    queue = MemoryQueue()
    first, second = (upload(session, queue, students["alice"], i) for i in range(2))
    held = lifecycle.claim(session, first, task_id="t1")
    lifecycle.store(session, held, report=one_test_report())  # the worker died before its advance
    assert statuses(session, [second]) == ["held"]
    assert lifecycle.admit_waiting(session) == [second]
    assert lifecycle.admit_waiting(session) == []
    session.expire_all()
    assert session.get(Submission, second).enqueued_at is not None  # the sweeper sends it right away


def test_regrade_waits_its_turn_behind_the_students_submission_in_flight(session, students):
    queue = MemoryQueue()
    first = upload(session, queue, students["alice"])
    grade(session, queue, first)
    second = upload(session, queue, students["alice"], 1)
    assert lifecycle.regrade(session, queue, first)
    assert statuses(session, [first, second]) == ["held", "queued"]
    grade(session, queue, second)
    assert statuses(session, [first]) == ["queued"] and queue.sent[-1] == first


def test_uploads_beyond_the_cap_of_waiting_ones_answer_429_saying_how_many_wait(settings, session, students):
    settings = settings.model_copy(update={"max_waiting_per_student": 2})
    app = create_app(settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    tokens = {n: create_token(session=session, student=n) for n in ("alice", "bob")}

    def post(name: str, i: int):
        return client.post("/api/v1/submissions", files={"file": ("layers.py", GOOD + f"# {i}\n".encode())},
                           headers={"Authorization": f"Bearer {tokens[name]}"})

    with TestClient(app) as client:
        assert [post("alice", i).status_code for i in range(2)] == [202, 202]
        r = post("alice", 2)
        assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
        assert (r.json()["waiting"], r.json()["limit"]) == (2, 2)
        assert "2 of your submissions" in r.json()["detail"]
        assert post("bob", 0).status_code == 202  # per student


def test_the_event_stream_says_a_held_submission_is_queued_behind_the_students_own(database_url, session,
                                                                                  students):
    from api.sse_stream import snapshot

    queue = MemoryQueue()
    ids = [upload(session, queue, students["alice"], i) for i in range(3)]
    upload(session, queue, students["bob"])
    assert snapshot(database_url, ids[0]) == ("queued", {"id": ids[0], "position": 1, "held": False})
    # behind both queued rows and alice's own earlier held one
    assert snapshot(database_url, ids[2]) == ("queued", {"id": ids[2], "position": 4, "held": True})
