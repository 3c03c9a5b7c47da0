"""One attempt with the fake grader (the seam) and a real SQLite database."""

from __future__ import annotations

import json

import pytest

from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.workers.fake_grader import FakeGrader
from workers import attempt


@pytest.fixture
def sessions(database_url):
    return session_factory(database_url)


def add(sessions, content: bytes) -> str:
    with sessions() as s:
        create_token(session=s, student="alice")
        row = Submission(student_id=s.query(Student).one().id, assignment="ex08", content=content, sha256="0")
        s.add(row)
        s.commit()
        return row.id


@pytest.fixture
def published():
    return []


@pytest.fixture
def ctx(sessions, published):
    g = FakeGrader()
    return attempt.Attempt(sessions=sessions, grader_for=lambda _a: g,
                           publish=lambda sid, ev, data: published.append(ev), max_attempts=2)


def status(sessions, sid):
    with sessions() as s:
        return s.get(Submission, sid)


def test_graded_report_is_stored_with_progress_and_hook(ctx, sessions, published):
    seen: list[str] = []
    ctx.on_graded = seen.append
    sid = add(sessions, b"x = 1\n")
    assert attempt.run(sid, task_id="t", ctx=ctx) == "graded"
    assert attempt.run(sid, task_id="t2", ctx=ctx) == "skipped"
    row = status(sessions, sid)
    assert row.status == "graded" and json.loads(row.report)["tests"][0]["status"] == "passed"
    assert published == ["running", "test", "graded"] and seen == [sid]


@pytest.mark.parametrize("directive", [b"# fake: internal_error", b"# fake: raise"])
def test_internal_errors_retry_then_fail(ctx, sessions, directive):
    sid = add(sessions, directive + b"\n")
    assert attempt.run(sid, task_id="t", ctx=ctx) == "retry"
    assert status(sessions, sid).status == "queued"
    assert attempt.run(sid, task_id="t", ctx=ctx) == "failed"
    row = status(sessions, sid)
    assert row.status == "failed" and "internal error" in row.error and row.report is None


def test_worker_grader_takes_the_training_data_setting(settings, tmp_path):
    from grader.runner import Grader
    from workers.pool_process import Graders

    configured = settings.model_copy(update={"training_data": str(tmp_path / "FashionMNIST"), "training": False})
    made = []

    def make(assignment: str, **kwargs):  # the real grader, recorded
        made.append(Grader(assignment, **kwargs))
        made[-1].warm_up = lambda: None  # training data of a fake folder: nothing to warm up here
        return made[-1]

    graders = Graders(configured, make, device="cpu")
    try:
        assert graders.get("ex08") is made[0] and graders.get("ex08") is made[0]  # made once, then kept
        assert made[0].options["training_data"] == str(tmp_path / "FashionMNIST")
        assert made[0].options["device"] == "cpu"
    finally:
        graders.close()


def test_a_failing_on_graded_hook_is_logged_and_never_undoes_the_grade(ctx, sessions, caplog):
    def broken(submission_id: str) -> None:
        raise ConnectionError("broker down")

    ctx.on_graded = broken
    sid = add(sessions, b"x = 1\n")
    assert attempt.run(sid, task_id="t", ctx=ctx) == "graded"
    assert status(sessions, sid).status == "graded" and "on-graded hook failed" in caplog.text
