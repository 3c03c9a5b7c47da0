"""Nothing a student reads tells them about a hidden test: score, error, printed output, mistakes, events."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import UploadLimiter
from grader.report import Mistake, Report, Status, TestResult
from service import visibility
from service.db.models import Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue

SECRET = "SECRET-dropout_backward"
"""In every field of the hidden test and of what its calls left behind; a student must never read it."""


def _report() -> Report:
    tests = [TestResult("dropout_forward: fraction", "1", 1.0, 2.0, Status.FAILED, "scaled wrong", check="a",
                        hint="keep_convention", tags=["dropout_forward"]),
             TestResult(f"{SECRET}: check", "2", 3.0, 3.0, Status.PASSED, f"{SECRET} output",
                        visibility="hidden", tags=["dropout_backward"]),
             TestResult("dropout_backward: grad", "3", 0.0, 1.0, Status.FAILED, f"{SECRET} first", check="c",
                        visibility="after_due_date", tags=["dropout_backward"])]
    mistakes = [Mistake("keep_convention", "p is the drop probability", ["1", "3"], 2.0),
                Mistake("", f"{SECRET} summary", ["3"], 1.0)]
    return Report(4.0, 6.0, 0.1, "", tests, "ex08", 0, "test", "0" * 64, mistakes=mistakes,
                  printed=f"x = {SECRET}")


@pytest.fixture
def client(settings):
    app = create_app(settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def alice(settings) -> dict[str, str]:
    with session_factory(settings.database)() as s:
        return {"Authorization": f"Bearer {create_token(session=s, student='alice')}"}


def _upload(client, headers, **extra) -> str:
    r = client.post("/api/v1/submissions", files={"file": ("layers.py", b"x = 1\n")},
                    headers={**headers, **extra})
    assert r.status_code in (200, 202)
    return r.json()["id"]


def _set(settings, sid: str, **values) -> None:
    with session_factory(settings.database)() as s:
        row = s.get(Submission, sid)
        for k, v in values.items():
            setattr(row, k, v)
        s.commit()


def test_for_student_keeps_no_trace_of_hidden_tests():
    shown = visibility.for_student(_report(), release_at=None)
    assert SECRET not in json.dumps(shown)
    assert (shown["score"], shown["max_score"], shown["hidden_count"]) == (1.0, 2.0, 2)
    assert shown["mistakes"] == [{"hint": "keep_convention", "summary": "p is the drop probability",
                                  "tests": ["1"], "points": 1.0}]
    assert (shown["printed"], shown["printed_withheld"]) == ("", True)
    released = visibility.for_student(_report(), release_at=datetime.now(UTC) - timedelta(seconds=1))
    assert SECRET in released["printed"] and released["score"] == 4.0


def test_printed_output_stays_when_no_test_is_hidden():
    report = _report()
    report.tests = report.tests[:1]
    shown = visibility.for_student(report, release_at=None)
    assert SECRET in shown["printed"] and not shown["printed_withheld"]


def test_a_report_stored_before_printed_existed_is_split_when_read():
    legacy = {**_report().to_dict(),
              "output": f"a note\n\nWhat your code printed while being graded:\nx = {SECRET}"}
    del legacy["printed"]
    report = Report.from_dict(legacy)
    assert (report.output, report.printed) == ("a note", f"x = {SECRET}")
    assert SECRET not in json.dumps(visibility.for_student(report, release_at=None))


def test_score_error_and_report_are_redacted_in_every_json_answer(client, alice, settings):
    sid = _upload(client, alice, **{"Idempotency-Key": "k1"})
    _set(settings, sid, status="graded", report=_report().to_json(), score=4.0, max_score=6.0)
    one = client.get(f"/api/v1/submissions/{sid}", headers=alice)
    listed = client.get("/api/v1/submissions", headers=alice)
    replay = client.post("/api/v1/submissions", files={"file": ("layers.py", b"x = 1\n")},
                         headers={**alice, "Idempotency-Key": "k1"})
    events = client.get(f"/api/v1/submissions/{sid}/events", headers=alice)
    for r in (one, listed, replay, events):
        assert r.status_code == 200 and SECRET not in r.text
    sse = [json.loads(line[5:]) for line in events.text.splitlines() if line.startswith("data:")]
    for doc in (one.json(), listed.json()[0], replay.json(), one.json()["report"], sse[-1],
                sse[-1]["report"]):
        assert (doc["score"], doc["max_score"]) == (1.0, 2.0), doc  # stored: 4.0 / 6.0 with the hidden tests


def test_a_failure_naming_hidden_tests_reaches_the_student_without_their_names(client, alice, settings):
    sid = _upload(client, alice)
    _set(settings, sid, status="failed", error=f"internal error in: {SECRET}: check")
    one = client.get(f"/api/v1/submissions/{sid}", headers=alice)
    events = client.get(f"/api/v1/submissions/{sid}/events", headers=alice)
    assert one.json()["error"] == visibility.ERROR_FOR_STUDENT and "event: failed" in events.text
    assert SECRET not in one.text + events.text + client.get("/api/v1/submissions", headers=alice).text
