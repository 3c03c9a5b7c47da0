"""The student's home page tells nothing about hidden tests' points: while submissions differ only in
hidden tests, not which of them counts, nor that an earlier one scored higher."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from grader.report import Report, Status
from service import lifecycle
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.dashboard import reports
from tests.doubles import MemoryQueue


def _graded(sessions, student_id: int, source: bytes, *, hidden_passes: bool, received_at: datetime) -> str:
    """Visible tests all pass in both; only the hidden test (#3) tells the two apart."""
    tests = [dataclasses.replace(t, score=t.max_score if hidden_passes else 0.0,
                                 status=Status.PASSED if hidden_passes else Status.FAILED)
             if t.visibility == "hidden" else t for t in reports.tests_for("")]
    report = Report(sum(t.score for t in tests), sum(t.max_score for t in tests), 0.1, "", tests, "ex08", 0,
                    "canned", hashlib.sha256(source).hexdigest())
    with sessions() as s:
        row = Submission(student_id=student_id, assignment="ex08", content=source,
                         sha256=report.submission_sha256, status="running", attempts=1,
                         received_at=received_at)
        s.add(row)
        s.commit()
        held = lifecycle.Claim(row.id, 1, source, "ex08", row.seed, row.received_at)
        assert lifecycle.store(s, held, report=report)
        return row.id


@pytest.fixture
def token(settings) -> str:
    sessions = session_factory(settings.database)
    with sessions() as s:
        token = create_token(session=s, student="ora")
        sid = s.query(Student).filter_by(name="ora").one().id
    now = datetime.now(UTC)
    _graded(sessions, sid, b"x = 1\n", hidden_passes=True, received_at=now - timedelta(hours=2))
    _graded(sessions, sid, b"x = 2\n", hidden_passes=False, received_at=now - timedelta(hours=1))
    return token


def _home(settings, token: str) -> str:
    with TestClient(create_app(settings, queue=MemoryQueue())) as c:
        page = c.get("/student")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        c.post("/student/login", data={"token": token, "csrf_token": csrf})
        return c.get("/student").text


def test_no_hint_of_hidden_points_until_they_are_released(settings, token):
    hidden = _home(settings, token)
    assert "Hello ora" in hidden and "scored higher" not in hidden and 'id="counted-link"' not in hidden
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    released = _home(settings.model_copy(update={"hidden_tests_release_at": a_minute_ago}), token)
    # the page's own feature, once allowed
    assert "scored higher" in released and 'id="counted-link"' in released
