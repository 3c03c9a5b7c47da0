"""Shared fixtures: one warm grader per session (starting one costs a zygote and imports); the service's
Redis, a migrated SQLite database per test (tests/service_fixtures.py) and a scratch PostgreSQL one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.service_backends import scratch_postgres
from tests.service_fixtures import database_url, redis_url, settings  # noqa: F401 - fixtures

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # the sandbox forks: keep every thread pool at one thread

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


@pytest.fixture(scope="session")
def grader():
    from grader.runner import Grader

    g = Grader("ex08")
    yield g
    g.close()


@pytest.fixture(scope="session")
def reference_source() -> bytes:
    return (ROOT / "reference" / "ex08" / "layers.py").read_bytes()


@pytest.fixture
def pg_database():
    """A migrated scratch PostgreSQL database, dropped afterwards."""
    from service.db.migrate import upgrade

    with scratch_postgres() as url:
        upgrade(url)
        yield url
