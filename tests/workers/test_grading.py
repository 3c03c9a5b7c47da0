"""One attempt with the fake grader (the seam) and a real SQLite database."""

from __future__ import annotations

import json

import pytest

from api.auth import create_token
from api.db.models import Student, Submission
from api.db.session import session_factory
from workers import grading, hooks
from workers.fake_grader import FakeGrader


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
    return grading.Attempt(sessions=sessions, grader_for=lambda _a: g,
                           publish=lambda sid, ev, data: published.append(ev), max_attempts=2)


def status(sessions, sid):
    with sessions() as s:
        return s.get(Submission, sid)


def test_graded_report_is_stored_with_progress_and_hook(ctx, sessions, published):
    seen = []
    hooks.on_graded(seen.append)
    try:
        sid = add(sessions, b"x = 1\n")
        assert grading.run(sid, task_id="t", ctx=ctx) == "graded"
        assert grading.run(sid, task_id="t2", ctx=ctx) == "skipped"
    finally:
        hooks._on_graded.remove(seen.append)
    row = status(sessions, sid)
    assert row.status == "graded" and json.loads(row.report)["tests"][0]["status"] == "passed"
    assert published == ["running", "test", "graded"] and seen == [sid]


@pytest.mark.parametrize("directive", [b"# fake: internal_error", b"# fake: raise"])
def test_internal_errors_retry_then_fail(ctx, sessions, directive):
    sid = add(sessions, directive + b"\n")
    assert grading.run(sid, task_id="t", ctx=ctx) == "retry"
    assert status(sessions, sid).status == "queued"
    assert grading.run(sid, task_id="t", ctx=ctx) == "failed"
    row = status(sessions, sid)
    assert row.status == "failed" and "internal error" in row.error and row.report is None


def test_worker_grader_takes_the_training_data_setting(settings, tmp_path):
    from workers.process import load_grader

    configured = settings.model_copy(update={"training_data": str(tmp_path / "FashionMNIST")})
    grader = load_grader(configured, assignment="ex08", device="cpu")
    try:
        assert grader.options["training_data"] == str(tmp_path / "FashionMNIST")
        assert grader.options["device"] == "cpu"
    finally:
        grader.close()
