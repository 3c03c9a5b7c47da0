"""The same migrations, lifecycle and API on PostgreSQL, in a scratch database dropped afterwards."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service import lifecycle
from service.db.session import session_factory
from service.settings import Settings
from service.tokens import create_token
from tests.doubles import MemoryQueue, one_test_report

pytestmark = pytest.mark.postgres


def test_upload_claim_store_once_on_postgres(pg_database, tmp_path):
    settings = Settings(env="development", data_dir=tmp_path, database_url=pg_database, redis_url=None)
    queue = MemoryQueue()
    with session_factory(pg_database)() as s:
        token = create_token(session=s, student="alice")
    with TestClient(create_app(settings, queue=queue)) as client:
        r = client.post("/api/v1/submissions", files={"file": ("layers.py", b"x = 1\n")},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k"})
        assert r.status_code == 202 and queue.sent == [r.json()["id"]]
    with session_factory(pg_database)() as s:
        held = lifecycle.claim(s, r.json()["id"], task_id="t")
        assert held is not None and held.content == b"x = 1\n"
        assert lifecycle.claim(s, held.id, task_id="other") is None
        assert lifecycle.store(s, held, report=one_test_report()) is True
        assert lifecycle.store(s, held, report=one_test_report()) is False
