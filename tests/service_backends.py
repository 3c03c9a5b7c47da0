"""Finding the external Postgres and RabbitMQ the optional tests run against."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672//"


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def require(url: str, what: str) -> str:
    """The URL when its server answers; in CI a missing server fails instead of skipping silently."""
    if reachable(url):
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} at {url} is unreachable in CI")
    pytest.skip(f"{what} at {url} is unreachable")


def postgres_url() -> str:
    url = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    if not url.startswith("postgresql"):
        url = DEFAULT_POSTGRES
    return require(url.replace("postgresql://", "postgresql+psycopg://", 1), "PostgreSQL")


def amqp_url() -> str:
    return require(os.environ.get("TEST_AMQP_URL") or os.environ.get("BROKER_URL") or DEFAULT_AMQP,
                   "RabbitMQ")


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards (skipped when no server answers)."""
    from sqlalchemy import create_engine, text

    server = postgres_url()
    name = f"autograder_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        from service.db.session import _engines

        if url in _engines:
            _engines.pop(url).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
