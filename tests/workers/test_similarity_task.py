"""The similarity check in a real Celery worker (Redis broker, SQLite): after the close by itself, and on
demand.

The worker runs with the fake grader (``tests.workers.fake_worker``): grading is not what
is tested, and the fake starts in a second; the similarity task is the real one.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from service import similarity
from service.db.session import session_factory
from service.db.similarity_models import SimilarityRun
from service.task_sender import TaskSender
from tests.conftest import SUBMISSIONS
from tests.dashboard.reports import add_graded
from tests.similarity.disguise import KINDS, disguise
from tests.workers.service import FAKE, Worker

pytestmark = pytest.mark.service
SOURCE = (SUBMISSIONS / "correct" / "batchnorm_einsum_backward.py").read_text()


def wait_done(sessions, run_id: int, timeout: float = 120):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as s:
            job = s.get(SimilarityRun, run_id)
            if job is not None and job.status in ("done", "failed"):
                return job
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} not done in {timeout} s")


def test_a_worker_runs_the_check_after_the_close_and_on_demand(settings, redis_url, tmp_path):
    settings = settings.model_copy(update={"redis_url": redis_url})
    sessions = session_factory(settings.database)
    ids = {name: add_graded(sessions, name, text.encode()) for name, text in [
        ("alice", SOURCE), ("bob", disguise(SOURCE, *KINDS, seed=9)),
        ("carol", (SUBMISSIONS / "correct" / "dropout_prescaled_mask.py").read_text())]}
    closed = {"ex08": {"due_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(), "late_days_max": 1}}
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    grader=FAKE, AUTOGRADER_SCHEDULE=json.dumps(closed),
                    AUTOGRADER_SWEEP_INTERVAL_S="1").start()
    try:
        deadline = time.monotonic() + 60
        while (after_close := similarity.latest_run(sessions(), "ex08")) is None:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.2)
        job = wait_done(sessions, after_close.id)
        assert (job.status, job.reason, job.done, job.total) == ("done", "after the close", 3, 3), job.error
        with sessions() as s:
            (pair,) = similarity.pairs(s, job.id)
        assert {pair.a_student, pair.b_student} == {"alice", "bob"} and pair.score >= 0.75
        with sessions() as s:
            on_demand = similarity.request_run(s, assignment="ex08", reason="on demand",
                                               send=TaskSender(settings).similarity)
        assert wait_done(sessions, on_demand.id).status == "done"
        time.sleep(2)  # two more sweeps: the close has had its run, no other starts
        with sessions() as s:
            assert similarity.latest_run(s, "ex08").id == on_demand.id
        assert f"similarity run {on_demand.id}: done" in (tmp_path / "worker.log").read_text()
        assert ids["alice"] in {pair.a_submission, pair.b_submission}
    finally:
        worker.stop()
