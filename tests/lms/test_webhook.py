"""The signed LMS webhook against a real SQLite database and the in-memory queue."""

from __future__ import annotations

import base64
import json
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from service.db.lms_models import LmsLink
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.lms import signing
from tests.doubles import MemoryQueue

SECRET = "moodle-secret"
GOOD = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x, None\n"


@pytest.fixture
def lms_settings(settings):
    return settings.model_copy(update={"lms_secrets": {"moodle": SecretStr(SECRET)},
                                       "lms_callback_hosts": "127.0.0.1"})


@pytest.fixture
def queue() -> MemoryQueue:
    return MemoryQueue()


@pytest.fixture
def client(lms_settings, queue):
    with TestClient(create_app(lms_settings, queue=queue)) as c:
        yield c


def body(ext="sub-1", content=GOOD, **over) -> bytes:
    doc = {"course_id": "i2dl-ws26", "assignment_id": "ex08", "student_id": "u123",
           "external_submission_id": ext, "file_base64": base64.b64encode(content).decode(),
           "callback_url": "http://127.0.0.1:9/grades", **over}
    return json.dumps(doc).encode()


def post(client, raw: bytes, *, secret=SECRET, integration="moodle", now=None, headers=None):
    h = {"Content-Type": "application/json", **signing.sign(secret, raw, integration=integration, now=now)}
    return client.post("/api/v1/lms/submissions", content=raw, headers={**h, **(headers or {})})


def rows(settings, model=Submission) -> int:
    with session_factory(settings.database)() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_valid_signature_creates_a_queued_submission_for_the_lms_student(client, queue, lms_settings):
    r = post(client, body())
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["status"] == "queued" and out["external_submission_id"] == "sub-1"
    assert out["integration"] == "moodle"
    assert queue.sent == [out["id"]]
    with session_factory(lms_settings.database)() as s:
        row = s.get(Submission, out["id"])
        link = s.scalars(select(LmsLink)).one()
        assert row.content == GOOD and s.get(Student, row.student_id).name == "moodle:u123"
        assert (link.course_id, link.submission_id, link.callback_url) == ("i2dl-ws26", row.id,
                                                                          "http://127.0.0.1:9/grades")


def test_wrong_secret_is_refused_and_stores_nothing(client, lms_settings):
    r = post(client, body(), secret="not-the-secret")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert "signature does not match" in r.json()["detail"]
    assert rows(lms_settings) == 0


def test_body_changed_after_signing_is_refused(client):
    raw = body()
    h = signing.sign(SECRET, raw, integration="moodle")
    r = client.post("/api/v1/lms/submissions", content=body(student_id="someone-else"), headers=h)
    assert r.status_code == 401


@pytest.mark.parametrize("age_s", [301, -301, 3600])
def test_stale_or_future_timestamp_is_refused(client, age_s, lms_settings):
    r = post(client, body(), now=time.time() - age_s)
    assert r.status_code == 401 and "window" in r.json()["detail"]
    assert rows(lms_settings) == 0


def test_missing_headers_and_unknown_integration_are_refused(client):
    assert client.post("/api/v1/lms/submissions", content=body()).status_code == 401
    r = post(client, body(), integration="canvas")
    assert r.status_code == 401 and "unknown integration" in r.json()["detail"]


def test_replayed_request_returns_the_first_submission_and_creates_nothing(client, queue, lms_settings):
    raw = body()
    h = {"Content-Type": "application/json", **signing.sign(SECRET, raw, integration="moodle")}
    first = client.post("/api/v1/lms/submissions", content=raw, headers=h)
    again = client.post("/api/v1/lms/submissions", content=raw, headers=h)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"] and queue.sent == [first.json()["id"]]
    assert rows(lms_settings) == 1 and rows(lms_settings, LmsLink) == 1


def test_same_external_id_with_another_file_is_a_conflict(client):
    assert post(client, body()).status_code == 202
    r = post(client, body(content=GOOD + b"# changed\n"))
    assert r.status_code == 409 and r.json()["type"].endswith("lms-conflict")


@pytest.mark.parametrize(("raw", "why"), [
    (b"{not json", "Malformed body"),
    (json.dumps({"course_id": "c"}).encode(), "Malformed body"),
    (body(file_base64="***not base64***"), "Malformed body"),
    (body(callback_url="ftp://127.0.0.1/x"), "Bad callback URL"),
    (body(callback_url="http://evil.example/x"), "Bad callback URL"),
    (body(assignment_id="ex99"), "Unknown assignment"),
    (body(content=b"def f(:\n"), "Syntax error"),
    (body(content=b"\xff\xfe x = 1\n"), "Not UTF-8"),
])
def test_malformed_bodies_are_problems_and_store_nothing(client, raw, why, lms_settings):
    r = post(client, raw)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == why
    assert rows(lms_settings) == 0


def test_oversized_file_is_413(client, lms_settings):
    big = b"x = 1\n" * (lms_settings.max_upload_bytes // 6 + 10)
    assert post(client, body(content=big)).status_code == 413


def test_default_integration_uses_the_shared_secret(client, lms_settings):
    r = post(client, body(), secret=lms_settings.lms_shared_secret.get_secret_value(), integration="default")
    assert r.status_code == 202
