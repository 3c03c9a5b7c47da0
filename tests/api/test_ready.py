"""Ready means ready: ``/healthz`` is ``ok`` only once a warm worker process has announced itself."""

from __future__ import annotations

import json
import subprocess
import threading

import redis
from fastapi.testclient import TestClient

from api.app import create_app
from autograder.serve import _announce_when_warm
from tests.doubles import MemoryQueue


def test_healthz_says_what_it_waits_for_until_a_warm_worker_announces_itself(settings, redis_url):
    settings = settings.model_copy(update={"redis_url": redis_url})
    r = redis.Redis.from_url(redis_url)
    key = "autograder:workers:test-host:424242"
    r.delete(key)
    with TestClient(create_app(settings, queue=MemoryQueue())) as client:
        before = client.get("/healthz")
        assert before.status_code == 200 and before.json()["status"] == "starting"
        assert "warm worker" in before.json()["waiting_for"]
        r.set(key, json.dumps({"pid": 424242, "device": "cpu", "warm": True}), ex=15)
        try:
            after = client.get("/healthz")
        finally:
            r.delete(key)
    assert after.status_code == 200 and after.json() == {"status": "ok"}


def test_serve_prints_its_url_only_once_a_warm_worker_announces_itself(settings, redis_url, capsys):
    settings = settings.model_copy(update={"redis_url": redis_url})
    r = redis.Redis.from_url(redis_url)
    worker = subprocess.Popen(["sleep", "30"])  # stands in for the worker still warming up
    key = "autograder:workers:test-host:434343"
    r.delete(key)
    announcer = threading.Thread(target=_announce_when_warm, args=(settings, worker, 0.05))
    try:
        announcer.start()
        announcer.join(0.5)
        assert announcer.is_alive() and settings.base_url not in capsys.readouterr().out  # still waiting
        r.set(key, json.dumps({"pid": 434343, "warm": True}), ex=15)
        announcer.join(10)
        out = capsys.readouterr().out
        assert not announcer.is_alive() and "worker warm after" in out and settings.base_url in out
    finally:
        r.delete(key)
        worker.kill()
        worker.wait()


def test_serve_says_so_when_the_worker_dies_before_it_is_warm(settings, redis_url, capsys):
    settings = settings.model_copy(update={"redis_url": redis_url})
    worker = subprocess.Popen(["false"])
    _announce_when_warm(settings, worker, 0.05)
    captured = capsys.readouterr()
    assert "exited with status 1 before it was ready" in captured.err
    assert settings.base_url not in captured.out
