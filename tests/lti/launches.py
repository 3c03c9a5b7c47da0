"""Driving an LTI launch through the tool, against the simulated platform (tests/lti/simulator.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient

from tests.lti.simulator import Platform, login_params, parse_form

LAUNCH_URL = "http://127.0.0.1:8000/lti/launch"
"""The tool's redirect URI under the test settings' base URL."""


def login(client: TestClient, platform: Platform, user: str = "alice") -> dict[str, str]:
    """The tool's answer to the platform's login: the auth request's parameters (state, nonce...)."""
    r = client.get("/lti/login", params=login_params(platform, user), follow_redirects=False)
    assert r.status_code == 302, r.text
    assert "set-cookie" not in r.headers  # state and nonce are kept server-side
    location = r.headers["location"]
    assert location.startswith(f"{platform.url}/auth?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def platform_form(client: TestClient, platform: Platform, user: str = "alice") -> dict[str, str]:
    """Login, then the platform's auth endpoint (real HTTP): the form the browser posts to the tool."""
    r = client.get("/lti/login", params=login_params(platform, user), follow_redirects=False)
    page = httpx.get(r.headers["location"], timeout=10)
    assert page.status_code == 200, page.text  # the platform accepted state, nonce and redirect URI
    action, fields = parse_form(page.text)
    assert action == LAUNCH_URL and set(fields) == {"id_token", "state"}
    return fields


def post_launch(client: TestClient, fields: dict[str, str]) -> httpx.Response:
    client.cookies.clear()  # a cross-site POST carries no SameSite=Lax cookie of ours
    return client.post("/lti/launch", data=fields, follow_redirects=False)
