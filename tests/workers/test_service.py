"""The whole path for real: API → Redis → a Celery worker subprocess → database → SSE."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from service.db.session import session_factory
from service.tokens import create_token
from tests.workers.service import REAL, ROOT, Worker

pytestmark = pytest.mark.service
REFERENCE = (ROOT / "reference" / "ex08" / "layers.py").read_bytes()
OPERATOR = "o" * 32


@pytest.fixture(scope="module")
def grader_factory() -> list[str]:
    return REAL


@pytest.fixture
def service(settings, redis_url, tmp_path, grader_factory):
    settings = settings.model_copy(update={"redis_url": redis_url, "operator_token": SecretStr(OPERATOR)})
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    grader=grader_factory).start()
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="alice")
    try:
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            yield client, worker
    finally:
        worker.stop()


def read_events(client, sid: str, timeout: float = 60) -> list[tuple[str, dict]]:
    events, name, deadline = [], "", time.monotonic() + timeout
    with client.stream("GET", f"/api/v1/submissions/{sid}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            assert time.monotonic() < deadline, events
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
                if name in ("graded", "failed"):
                    return events
    return events


def test_upload_is_graded_by_a_real_worker_and_streamed(service):
    client, worker = service
    r = client.post("/api/v1/submissions", files={"file": ("layers.py", REFERENCE)})
    assert r.status_code == 202
    sid = r.json()["id"]
    events = read_events(client, sid)
    names = [n for n, _ in events]
    assert names[-1] == "graded" and "test" in names, names
    assert names[0] in ("queued", "running", "test")  # "test" first: graded before we listened (replayed)
    final = client.get(f"/api/v1/submissions/{sid}").json()
    assert final["status"] == "graded" and final["attempts"] == 1
    assert final["report"]["submission_sha256"] == r.json()["sha256"]
    assert final["report"]["score"] == final["report"]["max_score"] > 0  # the reference earns everything
    assert worker.wait_for_outcomes(1) == [f"{sid}: graded"]


def test_healthz_sees_database_broker_and_worker(service):
    client, _ = service
    body = client.get("/healthz", headers={"Authorization": f"Bearer {OPERATOR}"}).json()
    assert body["status"] == "ok", body
    assert body["database"]["ok"] and body["broker"]["ok"] and body["workers"]["count"] == 1


def test_rabbitmq_as_broker(settings, redis_url, tmp_path):
    """Celery on RabbitMQ (BROKER_URL), Redis only for events and rate limits."""
    from tests.service_backends import amqp_url

    broker = amqp_url()
    queue_name = f"grading-test-{tmp_path.name[-12:]}"
    settings = settings.model_copy(update={"redis_url": redis_url, "broker_url": broker, "queue": queue_name,
                                           "operator_token": SecretStr(OPERATOR)})
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    BROKER_URL=broker, AUTOGRADER_QUEUE=queue_name).start()
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="alice")
    try:
        with TestClient(create_app(settings)) as client:
            client.headers["Authorization"] = f"Bearer {token}"
            sid = client.post("/api/v1/submissions", files={"file": ("layers.py", b"x = 1\n")}).json()["id"]
            assert read_events(client, sid)[-1][0] == "graded"
            operator = {"Authorization": f"Bearer {OPERATOR}"}
            assert client.get("/healthz", headers=operator).json()["broker"]["transport"] == "amqp"
    finally:
        worker.stop()
        from kombu import Connection

        with Connection(broker) as conn:  # leave the shared RabbitMQ as we found it
            conn.default_channel.queue_delete(queue_name)
    assert worker.outcomes() == [f"{sid}: graded"]
