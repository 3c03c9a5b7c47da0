"""The second exercise through the whole service: an upload for cs231n_conv, graded by a real worker, shown to
the instructor (submissions, gradebook, CSV) like ex08's. Nothing in the service names an exercise."""

from __future__ import annotations

import csv
import io
import re
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from service.db.session import session_factory
from service.passwords import hash_password
from service.tokens import create_token
from tests.workers.service import REAL, ROOT, Worker

pytestmark = pytest.mark.service
FIXTURES = ROOT / "tests" / "submissions" / "cs231n_conv"
PASSWORD = "correct horse battery"


@pytest.fixture
def service(settings, redis_url, tmp_path):
    settings = settings.model_copy(update={"redis_url": redis_url, "assignments": "ex08,cs231n_conv",
                                           "instructor_password": SecretStr(hash_password(PASSWORD))})
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    grader=REAL).start()
    with session_factory(settings.database)() as s:
        tokens = {name: create_token(session=s, student=name) for name in ("alice", "bob")}
    try:
        with TestClient(create_app(settings)) as client:
            yield client, tokens
    finally:
        worker.stop()


def _upload_and_wait(client, token: str, path, timeout: float = 90) -> dict:
    auth = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/v1/submissions", params={"assignment": "cs231n_conv"},
                    files={"file": ("layers.py", path.read_bytes())}, headers=auth)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/v1/submissions/{r.json()['id']}", headers=auth).json()
        if body["status"] in ("graded", "failed"):
            return body
        time.sleep(0.2)
    raise TimeoutError(body)


def test_a_cs231n_conv_upload_is_graded_and_listed_like_ex08s(service):
    client, tokens = service
    right = _upload_and_wait(client, tokens["alice"], FIXTURES / "correct" / "loops.py")
    wrong = _upload_and_wait(client, tokens["bob"], FIXTURES / "wrong" / "conv_forward_naive__kernel_flipped.py")
    assert right["status"] == wrong["status"] == "graded"
    assert right["report"]["assignment"] == "cs231n_conv"
    assert right["report"]["score"] == right["report"]["max_score"] == 30  # the worker runs without training
    assert wrong["report"]["score"] == 27
    assert [m["hint"] for m in wrong["report"]["mistakes"]] == ["kernel_flipped"]

    page = client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/export.csv",
                                                      params={"assignment": "cs231n_conv"}).text)))
    assert {r["student"]: float(r["grade"]) for r in rows} == {"alice": 30.0, "bob": 27.0}
    assert "conv_forward_naive: cross-correlation (stride 1, no padding)" in rows[0]
    gradebook = client.get("/dashboard/gradebook", params={"assignment": "cs231n_conv"})
    assert gradebook.status_code == 200 and "kernel" in gradebook.text.lower()
    assert "<option selected>cs231n_conv</option>" in gradebook.text  # the selector offers both exercises
    overview = client.get("/dashboard", params={"assignment": "cs231n_conv"})
    assert overview.status_code == 200 and "<option >ex08</option>" in overview.text.replace("<option>", "<option >")
    ex08 = list(csv.DictReader(io.StringIO(client.get("/dashboard/export.csv", params={"assignment": "ex08"}).text)))
    assert all(r["grade"] == "" for r in ex08)  # nothing submitted there: the two exercises stay apart
