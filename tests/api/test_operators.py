"""``/metrics`` and the detailed ``/healthz`` are for operators: the operator token or the instructor's
session."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from service.db.session import session_factory
from service.passwords import hash_password
from service.tokens import create_token
from tests.doubles import MemoryQueue

OPERATOR = "o" * 40


@pytest.fixture
def client(settings):
    settings = settings.model_copy(update={"operator_token": SecretStr(OPERATOR),
                                           "instructor_password": SecretStr(hash_password("pw"))})
    with TestClient(create_app(settings, queue=MemoryQueue())) as c:
        yield c


def test_metrics_answer_operators_only(client, settings):
    with session_factory(settings.database)() as s:
        student = create_token(session=s, student="alice", instructor=True)  # an API token is not an operator
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {student}"},
                    {"Authorization": "Bearer "}):
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert "autograder_queue_depth" not in r.text
    ok = client.get("/metrics", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert ok.status_code == 200 and "autograder_queue_depth" in ok.text


def test_the_instructors_session_is_an_operator_too(client):
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/dashboard/login", data={"password": "pw", "csrf_token": csrf})
    assert client.get("/metrics").status_code == 200 and "database" in client.get("/healthz").json()


def test_healthz_tells_anyone_the_status_and_operators_the_details(client):
    public = client.get("/healthz")
    detailed = client.get("/healthz", headers={"Authorization": f"Bearer {OPERATOR}"})
    assert public.status_code == detailed.status_code  # liveness: the same answer code for everyone
    assert public.json() == {k: detailed.json()[k] for k in ("status", "waiting_for") if k in detailed.json()}
    assert {"database", "broker", "workers", "sandbox"} <= detailed.json().keys()
