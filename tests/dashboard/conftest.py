"""The dashboard's HTTP tests: an app whose instructor password is known, its database, its queue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from service.db.session import session_factory
from service.passwords import hash_password
from tests.dashboard.pages import PASSWORD, csrf_of
from tests.doubles import MemoryQueue


@pytest.fixture
def dash_settings(settings):
    return settings.model_copy(update={"instructor_password": SecretStr(hash_password(PASSWORD))})


@pytest.fixture
def sessions(dash_settings):
    return session_factory(dash_settings.database)


@pytest.fixture
def queue():
    return MemoryQueue()


@pytest.fixture
def client(dash_settings, queue):
    with TestClient(create_app(dash_settings, queue=queue)) as c:
        yield c


@pytest.fixture
def instructor(client):
    page = client.get("/dashboard/login")
    r = client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": csrf_of(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    return client


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (Debian's, tests/browser.py) per browser test module."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, chromium_path

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        yield b
        b.close()
