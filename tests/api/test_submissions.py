"""The upload API against a real SQLite database, with the in-memory queue and rate limiter."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from api.ratelimit import UploadLimiter
from service.db.models import Submission
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue

GOOD = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x, None\n"


@pytest.fixture
def queue() -> MemoryQueue:
    return MemoryQueue()


@pytest.fixture
def client(settings, queue):
    app = create_app(settings, queue=queue, rate_limiter=UploadLimiter(None, limit=3, window_s=60))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def tokens(settings) -> dict[str, str]:
    with session_factory(settings.database)() as s:
        return {"alice": create_token(session=s, student="alice"),
                "bob": create_token(session=s, student="bob"),
                "prof": create_token(session=s, student="prof", instructor=True)}


def upload(client, token, content=GOOD, **headers):
    return client.post("/api/v1/submissions", files={"file": ("layers.py", content)},
                       headers={"Authorization": f"Bearer {token}", **headers})


def count_rows(settings) -> int:
    with session_factory(settings.database)() as s:
        return s.scalar(select(func.count()).select_from(Submission))


def test_upload_stores_a_queued_row_then_enqueues_it(client, tokens, queue, settings):
    r = upload(client, tokens["alice"])
    assert r.status_code == 202
    body = r.json()
    assert body["status"] == "queued" and body["links"]["events"].endswith(f"/{body['id']}/events")
    assert queue.sent == [body["id"]]
    with session_factory(settings.database)() as s:
        row = s.get(Submission, body["id"])
        assert row.content == GOOD and row.enqueued_at is not None


def test_broker_down_still_accepts_and_leaves_the_row_for_the_sweeper(client, tokens, queue, settings):
    queue.down = True
    r = upload(client, tokens["alice"])
    assert r.status_code == 202
    with session_factory(settings.database)() as s:
        row = s.get(Submission, r.json()["id"])
        assert row.status == "queued" and row.enqueued_at is None


def test_missing_or_wrong_token_is_401_problem(client):
    r = client.post("/api/v1/submissions", files={"file": ("layers.py", GOOD)})
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert upload(client, "ag_nope").status_code == 401


@pytest.mark.parametrize(("content", "status", "title"), [
    (b"x = 1\n" * 60000, 413, "Submission too large"),
    (b"x = '\xff\xfe'\n", 422, "Not UTF-8"),
    (b"", 422, "Empty submission"),
])
def test_invalid_uploads_are_refused_with_problem_json(client, tokens, settings, content, status, title):
    r = upload(client, tokens["alice"], content)
    assert (r.status_code, r.json()["title"]) == (status, title)
    assert r.headers["content-type"] == "application/problem+json"
    assert count_rows(settings) == 0


def test_syntax_error_names_line_and_column(client, tokens):
    r = upload(client, tokens["alice"], b"import numpy\n\ndef f(:\n    pass\n")
    assert r.status_code == 422
    assert (r.json()["line"], r.json()["column"]) == (3, 7)


def test_unknown_assignment_lists_the_known_ones(client, tokens):
    r = client.post("/api/v1/submissions?assignment=ex99", files={"file": ("layers.py", GOOD)},
                    headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert r.status_code == 422 and "ex08" in r.json()["known"]


def test_rate_limit_answers_429_with_retry_after(client, tokens):
    assert [upload(client, tokens["alice"]).status_code for _ in range(3)] == [202] * 3
    r = upload(client, tokens["alice"])
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert upload(client, tokens["bob"]).status_code == 202  # per student


def test_idempotency_key_returns_the_first_submission(client, tokens, queue, settings):
    first = upload(client, tokens["alice"], **{"Idempotency-Key": "k1"})
    again = upload(client, tokens["alice"], **{"Idempotency-Key": "k1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"] and len(queue.sent) == 1
    assert upload(client, tokens["alice"], GOOD + b"#\n", **{"Idempotency-Key": "k1"}).status_code == 409
    assert count_rows(settings) == 1


def test_only_owner_or_instructor_reads_a_submission(client, tokens):
    sid = upload(client, tokens["alice"]).json()["id"]
    auth = {t: {"Authorization": f"Bearer {tokens[t]}"} for t in tokens}
    assert client.get(f"/api/v1/submissions/{sid}", headers=auth["alice"]).json()["status"] == "queued"
    assert client.get(f"/api/v1/submissions/{sid}", headers=auth["bob"]).status_code == 404
    assert client.get(f"/api/v1/submissions/{sid}", headers=auth["prof"]).status_code == 200
    assert [s["id"] for s in client.get("/api/v1/submissions", headers=auth["alice"]).json()] == [sid]
    assert client.get("/api/v1/submissions", headers=auth["bob"]).json() == []


def test_metrics_and_docs(client, tokens):
    upload(client, tokens["alice"])
    state = client.app.state
    state.settings = state.settings.model_copy(update={"operator_token": SecretStr("o" * 32)})
    text = client.get("/metrics", headers={"Authorization": "Bearer " + "o" * 32}).text
    assert 'autograder_queue_depth{status="queued"} 1.0' in text
    assert "autograder_latency_seconds_bucket" in text
    assert client.get("/docs").status_code == 200
    assert "/api/v1/submissions" in client.get("/openapi.json").json()["paths"]


def test_parallel_uploads_are_all_accepted_and_one_goes_to_the_workers(settings, tokens):
    from concurrent.futures import ThreadPoolExecutor

    queue = MemoryQueue()
    settings = settings.model_copy(update={"max_waiting_per_student": 1000})
    app = create_app(settings, queue=queue, rate_limiter=UploadLimiter(None, limit=1000, window_s=60))
    with TestClient(app) as client, ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda i: upload(client, tokens["alice"],
                                               GOOD + f"# {i}\n".encode()).status_code,
                              range(64)))
    assert codes == [202] * 64 and count_rows(settings) == 64
    with session_factory(settings.database)() as s:
        by_status = dict(s.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
    assert by_status == {"queued": 1, "held": 63} and len(queue.sent) == 1  # fair queueing: one in flight


def test_rate_limiter_fails_closed_with_503_and_retry_after_when_its_store_is_unreachable(settings, tokens):
    limiter = UploadLimiter("redis://127.0.0.1:9/0", limit=30, window_s=60)  # nothing listens on port 9
    with TestClient(create_app(settings, queue=MemoryQueue(), rate_limiter=limiter)) as client:
        r = upload(client, tokens["alice"])
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["Retry-After"]) >= 1 and count_rows(settings) == 0


def _graded_with_a_hidden_test(settings, sid: str) -> None:
    from grader.report import Report, Status, TestResult

    tests = [TestResult("dropout_forward: fraction", "1", 2.0, 2.0, Status.PASSED, "ok",
                        tags=["dropout_forward"]),
             TestResult("dropout_backward: secret", "2", 0.0, 1.0, Status.FAILED, "HIDDEN-DETAIL 3e-2",
                        visibility="hidden", tags=["dropout_backward"])]
    report = Report(2.0, 3.0, 0.1, "", tests, "ex08", 0, "test", "0" * 64)
    with session_factory(settings.database)() as s:
        row = s.get(Submission, sid)
        row.status, row.report, row.score, row.max_score = "graded", report.to_json(), 2.0, 3.0
        s.commit()


def test_students_do_not_see_hidden_tests_until_released_instructors_do(client, tokens, settings):
    sid = upload(client, tokens["alice"]).json()["id"]
    _graded_with_a_hidden_test(settings, sid)
    mine = client.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert mine.status_code == 200
    report = mine.json()["report"]
    assert "HIDDEN-DETAIL" not in mine.text and "secret" not in mine.text
    assert [t["status"] for t in report["tests"]] == ["passed", "hidden"]
    assert report["max_score"] == 2.0 and report["hidden_count"] == 1
    events = client.get(f"/api/v1/submissions/{sid}/events",
                        headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert "graded" in events.text and "HIDDEN-DETAIL" not in events.text and "secret" not in events.text
    prof = client.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {tokens['prof']}"})
    assert "HIDDEN-DETAIL" in prof.text


def test_hidden_tests_show_after_the_release_date(client, tokens, settings):
    from datetime import UTC, datetime, timedelta

    sid = upload(client, tokens["alice"]).json()["id"]
    _graded_with_a_hidden_test(settings, sid)
    client.app.state.settings = settings.model_copy(
        update={"hidden_tests_release_at": datetime.now(UTC) - timedelta(minutes=1)})
    mine = client.get(f"/api/v1/submissions/{sid}", headers={"Authorization": f"Bearer {tokens['alice']}"})
    assert "HIDDEN-DETAIL" in mine.text


def test_each_submission_gets_its_own_grading_seed(client, tokens, settings):
    # A fixed seed would show every student the same inputs, which could be harvested and replayed.
    ids = [upload(client, tokens[name], content=GOOD + f"# {i}\n".encode()).json()["id"]
           for i, name in enumerate(["alice", "bob", "alice"])]
    with session_factory(settings.database)() as s:
        seeds = [s.get(Submission, i).seed for i in ids]
    assert len(set(seeds)) == 3 and all(0 <= x < 2**31 for x in seeds)
