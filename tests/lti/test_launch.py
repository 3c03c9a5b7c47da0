"""LTI 1.3 login and launch through the real app, against the simulated platform (tests/lti/simulator.py).

The platform is a real HTTP server: the tool fetches its key set, and its auth
endpoint checks state, nonce and redirect URI before posting back an id_token.
The launch is posted without any cookie of ours, as a cross-site form POST
arrives in a browser that only has ``SameSite=Lax`` cookies.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from api.ratelimit import UploadLimiter
from service.db.lti_models import LtiAccount, LtiLineItem
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.lti.keys import generate_pem
from tests.doubles import MemoryQueue
from tests.lti.conftest import LAUNCH_URL
from tests.lti.simulator import (
    INSTRUCTOR,
    LTI,
    Platform,
    cross_site_cookies,
    login_params,
    new_key,
    parse_form,
)


def login(client: TestClient, platform: Platform, user: str = "alice") -> dict[str, str]:
    """The tool's answer to the platform's login: the auth request's parameters (state, nonce...)."""
    r = client.get("/lti/login", params=login_params(platform, user), follow_redirects=False)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    cookie = r.headers["set-cookie"]  # the state is bound to this browser (service.lti.binding)
    assert cookie.startswith(f"lti1p3-{state}=") and "ag_session" not in cookie
    assert all(a in cookie.lower() for a in ("samesite=none", "secure", "httponly", "max-age=600", "path=/lti/"))
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


def test_login_sends_the_browser_to_the_platform_with_state_and_nonce(client, platform):
    q = login(client, platform)
    assert q["client_id"] == platform.client_id and q["redirect_uri"] == LAUNCH_URL
    assert (q["response_type"], q["response_mode"], q["scope"], q["prompt"]) == ("id_token", "form_post", "openid", "none")
    assert q["login_hint"] == "alice" and q["lti_message_hint"] == "resource-link-1"
    assert len(q["state"]) > 20 and len(q["nonce"]) > 20
    assert login(client, platform)["state"] != q["state"]  # a fresh pair per login


def test_login_for_an_unknown_platform_is_refused(client, platform):
    r = client.get("/lti/login", params=login_params(platform, "alice", iss="https://unknown.example"))
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert "no platform registration matches" in r.text


def test_login_for_another_tool_address_is_refused(client, platform):
    r = client.get("/lti/login", params=login_params(platform, "alice", target_link_uri="https://evil.example/lti"))
    assert r.status_code == 400 and "not for this autograder" in r.text


def test_an_invalid_registration_in_the_environment_is_named(client, platform, lti_settings):
    bad = {k: v for k, v in platform.registration().items() if k != "key_set_url"}
    client.app.state.settings = lti_settings.model_copy(update={"lti_platforms": [bad]})
    r = client.get("/lti/login", params=login_params(platform, "alice"))
    assert r.status_code == 503 and "AUTOGRADER_LTI_PLATFORMS is invalid: key_set_url" in r.text


def test_a_student_launch_signs_in_on_the_student_page(client, platform, lti_settings):
    r = post_launch(client, platform_form(client, platform))
    assert r.status_code == 303 and r.headers["location"] == "/student"
    assert "ag_session" in r.headers["set-cookie"]
    page = client.get("/student")
    assert page.status_code == 200 and "Hello sim:alice-sub-1" in page.text
    with session_factory(lti_settings.database)() as s:
        account = s.scalar(select(LtiAccount))
        assert (account.sub, account.full_name, account.email) == ("alice-sub-1", "Alice Example", "alice@example.edu")
        item = s.scalar(select(LtiLineItem))
        assert (item.assignment, item.user_id, item.lineitem_url) == ("ex08", "alice-sub-1", platform.lineitem(1))


def test_an_instructor_launch_lands_on_the_dashboard_signed_in(client, platform, lti_settings):
    r = post_launch(client, platform_form(client, platform, "carol"))
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    page = client.get("/dashboard/lti", follow_redirects=False)
    assert page.status_code == 200 and platform.issuer in page.text
    assert students(lti_settings) == []  # an instructor is no student


def test_the_tool_key_set_is_public_and_stable(client, lti_settings):
    keys = client.get("/lti/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    again = create_app(lti_settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=1, window_s=1))
    with TestClient(again) as other:  # another API process: the key kept under the data dir
        assert other.get("/lti/jwks").json()["keys"] == keys


def test_the_configuration_page_shows_what_to_paste(client):
    page = client.get("/lti/config")
    assert page.status_code == 200
    for url in ("/lti/login", "/lti/launch", "/lti/jwks"):
        assert f"http://127.0.0.1:8000{url}" in page.text
    assert "BEGIN PUBLIC KEY" in page.text and "assignment=ex08" in page.text


def forged(client, platform, *, key=None, **claims):
    """A launch with a real state and nonce from a login, but an id_token built with ``claims`` changed."""
    q = login(client, platform)
    token = platform.id_token(platform.claims("alice", nonce=q["nonce"], **claims), key=key)
    return {"id_token": token, "state": q["state"]}


REFUSALS = {
    "bad signature": (lambda c, p: forged(c, p, key=new_key()), "signature or claims do not verify"),
    "wrong audience": (lambda c, p: forged(c, p, aud="someone-else"), "no platform registration matches"),
    "expired": (lambda c, p: forged(c, p, exp=int(time.time()) - 60, iat=int(time.time()) - 400), "expired"),
    "unknown deployment": (lambda c, p: forged(c, p, **{LTI + "deployment_id": "deployment-9"}),
                           "deployment that is not registered"),
    "missing state": (lambda c, p: {"id_token": forged(c, p)["id_token"]}, "carries no state"),
    "unknown state": (lambda c, p: {**forged(c, p), "state": "state-made-up"}, "state is unknown"),
    "wrong message type": (lambda c, p: forged(c, p, **{LTI + "message_type": "LtiSomethingElse"}),
                           "unrecognized message type"),
    "unknown assignment": (lambda c, p: forged(c, p, **{LTI + "custom": {"assignment": "ex99"}}), "ex99"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_forged_launches_get_an_error_page_and_no_session(client, platform, lti_settings, case):
    make, reason = REFUSALS[case]
    r = post_launch(client, make(client, platform))
    assert r.status_code == 401 and "text/html" in r.headers["content-type"]
    assert reason in r.text and "LTI launch refused" in r.text
    assert "set-cookie" not in r.headers  # no session, and the state's cookie stays (the state is not spent)
    assert students(lti_settings) == []
    assert "Hello" not in client.get("/student").text


def test_a_launch_is_accepted_once(client, platform, lti_settings):
    fields = platform_form(client, platform)
    assert post_launch(client, fields).status_code == 303
    replay = post_launch(client, fields)  # the same id_token and state again
    assert replay.status_code == 401 and "used already" in replay.text and "set-cookie" not in replay.headers


def test_a_spent_nonce_is_refused_under_a_fresh_state(client, platform):
    first = platform_form(client, platform)
    assert post_launch(client, first).status_code == 303
    q = login(client, platform)  # a new, valid state; the old id_token (and its nonce) resent with it
    r = post_launch(client, {"id_token": first["id_token"], "state": q["state"]})
    assert r.status_code == 401 and "nonce is spent" in r.text


def test_a_forgery_does_not_burn_the_nonce(client, platform):
    q = login(client, platform)
    bad = platform.id_token(platform.claims("alice", nonce=q["nonce"]), key=new_key())
    assert post_launch(client, {"id_token": bad, "state": q["state"]}).status_code == 401
    q2 = login(client, platform)  # the real platform's token with that nonce still works under a new state
    good = platform.id_token(platform.claims("alice", nonce=q["nonce"]))
    assert post_launch(client, {"id_token": good, "state": q2["state"]}).status_code == 303


def test_instructor_role_comes_from_membership_roles(client, platform):
    q = login(client, platform)
    token = platform.id_token(platform.claims("alice", nonce=q["nonce"], **{LTI + "roles": [INSTRUCTOR]}))
    assert post_launch(client, {"id_token": token, "state": q["state"]}).headers["location"] == "/dashboard"
    with session_factory(client.app.state.settings.database)() as s:
        assert s.scalar(select(func.count(Student.id))) == 0


def test_the_launch_names_the_assignment_the_student_uploads_to(client, platform, lti_settings):
    client.app.state.settings = lti_settings.model_copy(update={"assignments": "ex08,ex08_2020"})
    q = login(client, platform)
    claims = platform.claims("alice", nonce=q["nonce"], **{LTI + "custom": {"assignment": "ex08_2020"}})
    assert post_launch(client, {"id_token": platform.id_token(claims), "state": q["state"]}).status_code == 303
    page = client.get("/student").text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = client.post("/student/upload", files={"file": ("layers.py", b"x = 1\n")}, data={"csrf_token": token},
                    headers={"Accept": "application/json"})
    assert r.status_code == 202
    with session_factory(lti_settings.database)() as s:
        assert s.get(Submission, r.json()["id"]).assignment == "ex08_2020"
        assert s.scalar(select(LtiLineItem)).assignment == "ex08_2020"


def test_production_refuses_platforms_without_the_tool_key(lti_settings):
    from service import production

    refused = production.refusals(lti_settings)
    assert any("AUTOGRADER_LTI_PRIVATE_KEY" in r for r in refused)
    keyed = lti_settings.model_copy(update={"lti_private_key": SecretStr(generate_pem())})
    assert not any("LTI" in r for r in production.refusals(keyed))


def test_the_key_set_is_kept_and_fetched_again_when_the_platform_rotates(client, platform):
    for _ in range(3):
        assert post_launch(client, platform_form(client, platform)).status_code == 303
    assert platform.jwks_requests == 1
    platform.rotate_key()  # a kid the kept set does not have
    assert post_launch(client, platform_form(client, platform)).status_code == 303
    assert platform.jwks_requests == 2
    r = post_launch(client, forged(client, platform, key=new_key()))  # a forgery under a kept kid: no refetch
    assert r.status_code == 401 and platform.jwks_requests == 2
