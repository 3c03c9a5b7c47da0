"""Signing in: one-time, POST-confirmed codes instead of tokens in URLs, and throttled failures."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.login_throttle import LoginThrottle
from service import sign_in_codes
from service.db.models import Token
from service.db.session import session_factory
from service.passwords import hash_password
from service.tokens import create_token, digest
from tests.doubles import MemoryQueue

PASSWORD = "correct horse battery"


@pytest.fixture
def dash_settings(settings):
    return settings.model_copy(update={"instructor_password": SecretStr(hash_password(PASSWORD)),
                                       "login_rate_limit": 3, "login_rate_window_s": 60})


@pytest.fixture
def app(dash_settings):
    return create_app(dash_settings, queue=MemoryQueue())


def client(app, ip: str = "10.0.0.1") -> TestClient:
    return TestClient(app, client=(ip, 50000))


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(c: TestClient, code: str):
    page = c.get("/student/signin")
    return c.post("/student/signin", data={"code": code, "csrf_token": csrf_of(page.text)},
                  follow_redirects=False)


def dashboard_link(app, student: str = "jo") -> tuple[str, str]:
    """The sign-in link and token the students page shows once, as an instructor gets them."""
    with client(app, "10.9.9.9") as c:
        c.post("/dashboard/login",
               data={"password": PASSWORD, "csrf_token": csrf_of(c.get("/dashboard/login").text)})
        r = c.post("/dashboard/students/tokens",
                   data={"student": student, "csrf_token": csrf_of(c.get("/dashboard/submissions").text)})
    link = re.search(r'id="new-link" value="([^"]+)"', r.text).group(1)
    return link, re.search(r'id="new-token" value="([^"]+)"', r.text).group(1)


def test_the_link_carries_a_one_time_code_after_the_hash_never_the_token(app):
    link, token = dashboard_link(app)
    parts = urlsplit(link)
    # never sent, never logged
    assert parts.path == "/student/signin" and parts.query == "" and parts.fragment
    assert token not in link
    with client(app) as c:
        page = c.get(parts.path)
        assert page.status_code == 200 and 'action="/student/signin"' in page.text
        assert "Hello" not in page.text
        r = sign_in(c, parts.fragment)
        assert r.status_code == 303 and "Hello jo" in c.get("/student").text
    with client(app) as again:
        assert sign_in(again, parts.fragment).status_code == 401  # once only
        assert "Hello" not in again.get("/student").text


def test_a_get_never_signs_in(app, settings):
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="jo")
    with client(app) as c:
        assert c.get(f"/student/login?token={token}").status_code == 405
        assert "Hello" not in c.get("/student").text


def test_expired_forged_revoked_or_unconfirmed_codes_do_not_sign_in(app, dash_settings, settings):
    with session_factory(settings.database)() as s:
        create_token(session=s, student="jo")
        token = s.query(Token).one()
        code = sign_in_codes.make(dash_settings, token.id)
        app.state.settings = dash_settings.model_copy(update={"sign_in_code_max_age_s": -1})
        with client(app) as c:
            assert sign_in(c, code).status_code == 401  # expired
        app.state.settings = dash_settings
        with client(app) as c:
            assert sign_in(c, code[:-2] + ("AA" if not code.endswith("AA") else "BB")).status_code == 401
            assert c.post("/student/signin", data={"code": code}).status_code == 403  # no CSRF token
            token.revoked_at = token.created_at
            s.commit()
            assert sign_in(c, code).status_code == 401


def test_a_pasted_token_still_signs_in_by_post(app, settings):
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="al")
    with client(app) as c:
        page = c.get("/student")
        c.post("/student/login", data={"token": token, "csrf_token": csrf_of(page.text)})
        assert "Hello al" in c.get("/student").text
        assert c.cookies.get("ag_session") and token not in c.cookies.get("ag_session")


def _dashboard_login(c: TestClient, password: str):
    return c.post("/dashboard/login",
                  data={"password": password, "csrf_token": csrf_of(c.get("/dashboard/login").text)},
                  follow_redirects=False)


def test_dashboard_logins_are_throttled_per_address_and_for_the_account(app):
    with client(app, "10.0.0.1") as a:
        assert [_dashboard_login(a, "nope").status_code for _ in range(3)] == [401] * 3
        refused = _dashboard_login(a, PASSWORD)  # even the right password waits now
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    app.state.login_throttle = LoginThrottle(None, limit=3, window_s=60)
    with client(app, "10.0.0.2") as b, client(app, "10.0.0.3") as c:
        assert [_dashboard_login(b, "nope").status_code for _ in range(2)] == [401, 401]
        assert _dashboard_login(c, "nope").status_code == 401
        assert _dashboard_login(c, PASSWORD).status_code == 429  # another address, the same account


def test_student_sign_ins_are_throttled_per_address(app, settings):
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="al")
        code = sign_in_codes.make(app.state.settings, s.query(Token).one().id)
    with client(app, "10.0.0.5") as guesser:
        page = guesser.get("/student")
        codes = [guesser.post("/student/login",
                              data={"token": f"ag_{i}", "csrf_token": csrf_of(page.text)}).status_code
                 for i in range(2)] + [sign_in(guesser, "forged").status_code]
        assert codes == [401, 401, 401]
        r = guesser.post("/student/login", data={"token": token, "csrf_token": csrf_of(page.text)})
        assert r.status_code == 429 and sign_in(guesser, code).status_code == 429
    with client(app, "10.0.0.6") as other:
        assert sign_in(other, code).status_code == 303  # the code was not used up by the refused attempt
    assert digest(token)  # the token itself never appeared in a URL above
