"""Driving an LTI launch through the tool, against the simulated platform (tests/lti/simulator.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.db.models import Student
from service.db.session import session_factory
from tests.lti.simulator import Platform, cross_site_cookies, login_params, parse_form

LAUNCH_URL = "http://127.0.0.1:8000/lti/launch"
"""The tool's redirect URI under the test settings' base URL."""


def login(client: TestClient, platform: Platform, user: str = "alice") -> dict[str, str]:
    """The tool's answer to the platform's login: the auth request's parameters (state, nonce...)."""
    r = client.get("/lti/login", params=login_params(platform, user), follow_redirects=False)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    cookie = r.headers["set-cookie"]  # the state is bound to this browser (service.lti.binding)
    assert cookie.startswith(f"lti1p3-{state}=") and "ag_session" not in cookie
    assert all(a in cookie.lower() for a in ("samesite=none", "secure", "httponly", "max-age=600",
                                             "path=/lti/"))
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
    """The platform's cross-site form POST: the login's state cookie goes with it, the session does not."""
    headers = cross_site_cookies(client.cookies)
    client.cookies.clear()
    return client.post("/lti/launch", data=fields, headers=headers, follow_redirects=False)


def students(settings) -> list[str]:
    with session_factory(settings.database)() as s:
        return list(s.scalars(select(Student.name)))
