"""The login's state is bound to the browser that started it (login CSRF): cookie, or the platform's storage.

Two browsers are two TestClients of one app. The attacker starts a login in
their own browser and gets their own platform-signed launch; posted from the
victim's browser it is refused, and nothing of it is spent.
"""

from __future__ import annotations

import json
import re

import httpx
from fastapi.testclient import TestClient

from service.lti.binding import PROOF_FIELD
from tests.lti.simulator import login_params, parse_form
from tests.lti.test_launch import platform_form, post_launch, students


def another_browser(client: TestClient) -> TestClient:
    return TestClient(client.app, base_url="http://127.0.0.1:8000")


def storage_page(page: str) -> dict:
    """The data the postMessage page acts on."""
    found = re.search(r'<script id="lti-storage-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, page
    return json.loads(found.group(1))


def test_a_launch_from_another_browser_is_refused_and_spends_nothing(client, platform, lti_settings):
    attacker = another_browser(client)
    fields = platform_form(attacker, platform, "bob")  # the attacker's own, genuine launch
    client.get("/lti/login", params=login_params(platform, "alice"), follow_redirects=False)  # the victim's own
    r = post_launch(client, fields)  # posted from the victim's browser (a form on the attacker's page)
    assert r.status_code == 401 and "LTI launch refused" in r.text
    assert "did not send back the sign-in cookie" in r.text and "set-cookie" not in r.headers
    assert students(lti_settings) == [] and "Hello" not in client.get("/student").text
    assert post_launch(attacker, fields).status_code == 303  # in the browser that started it, it works


def test_a_state_cookie_with_another_value_is_refused(client, platform):
    fields = platform_form(client, platform, "alice")
    client.cookies.set(f"lti1p3-{fields['state']}", "planted-by-someone-else")  # e.g. cookie tossing
    r = post_launch(client, fields)
    assert r.status_code == 401 and "started in another browser" in r.text


def storage_login(client, platform, user: str = "alice") -> tuple[httpx.Response, dict]:
    r = client.get("/lti/login", params=login_params(platform, user, lti_storage_target="_parent"))
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    return r, storage_page(r.text)


def test_a_platform_with_storage_gets_the_secret_put_there_at_login(client, platform):
    r, data = storage_login(client, platform)
    state = data["next"].split("state=")[1].split("&")[0]
    assert data["put"] is True and data["target"] == "_parent" and data["key"] == f"state::{state}"
    assert data["origin"] == platform.url and data["next"].startswith(f"{platform.url}/auth?")
    assert r.cookies[f"lti1p3-{state}"] == data["value"]  # the same secret, also as the cookie


def test_without_the_cookie_the_platform_storage_proves_the_browser(client, platform, lti_settings):
    _, put = storage_login(client, platform)
    _, fields = parse_form(httpx.get(put["next"], timeout=10).text)
    client.cookies.clear()  # third-party cookies blocked: the cookie never came back
    ask = client.post("/lti/launch", data=fields, follow_redirects=False)
    assert ask.status_code == 200 and "set-cookie" not in ask.headers  # nothing spent, nobody signed in
    get = storage_page(ask.text)
    assert (get["put"], get["key"], get["origin"]) == (False, put["key"], platform.url)
    action, again = parse_form(ask.text)
    assert action.endswith("/lti/launch") and again["state"] == fields["state"]
    origin = {"origin": "http://127.0.0.1:8000"}
    wrong = client.post(action, data={**fields, PROOF_FIELD: "guessed"}, headers=origin, follow_redirects=False)
    assert wrong.status_code == 401 and "started in another browser" in wrong.text
    foreign = client.post(action, data={**fields, PROOF_FIELD: put["value"]}, headers={"origin": platform.url},
                          follow_redirects=False)  # the right secret, from a form on another site
    assert foreign.status_code == 401 and "posted from another site" in foreign.text
    ok = client.post(action, data={**fields, PROOF_FIELD: put["value"]}, headers=origin, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/student"
    assert students(lti_settings) == ["sim:alice-sub-1"]
