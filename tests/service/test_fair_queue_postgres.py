"""Fair queueing on PostgreSQL: uploads and stores racing never put two of a student's submissions in
flight."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from service import intake, lifecycle
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue, one_test_report

pytestmark = pytest.mark.postgres
UPLOADS = 24


def in_flight(sessions) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)
                            .where(Submission.status.in_(("queued", "running")))))


def test_racing_uploads_and_stores_keep_one_in_flight_and_leave_nothing_held(pg_database):  # noqa: F811
    sessions = session_factory(pg_database)
    queue = MemoryQueue()
    with sessions() as s:
        create_token(session=s, student="alice")
        student_id = s.scalar(select(Student.id))
    seen: list[int] = []

    def upload(i: int) -> None:
        with sessions() as s:
            intake.create(session=s, queue=queue, student=s.get(Student, student_id), assignment="ex08",
                          content=f"x = {i}\n".encode())

    def worker() -> None:  # grades whatever was sent, then lets the next one through, as attempt.run does
        graded = 0
        while graded < UPLOADS:
            if not queue.sent:
                assert in_flight(sessions) <= 1
                time.sleep(0.005)
                continue
            sid = queue.sent.pop(0)
            seen.append(in_flight(sessions))
            with sessions() as s:
                held = lifecycle.claim(s, sid, task_id=f"t-{sid}")
                assert held is not None
                assert lifecycle.store(s, held, report=one_test_report())
                lifecycle.advance_after(s, queue, sid)
            graded += 1

    grading = threading.Thread(target=worker)
    grading.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(upload, range(UPLOADS)))
    grading.join(120)
    assert not grading.is_alive()
    assert max(seen) == 1  # never two of hers queued or running at once
    with sessions() as s:
        statuses = dict(s.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
    assert statuses == {"graded": UPLOADS}
