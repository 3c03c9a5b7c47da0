"""Registrations on the dashboard: an instructor adds a platform, it can launch; removed, it cannot."""

from __future__ import annotations

import re

import pytest

from service.db.session import session_factory
from service.lti import registrations
from tests.lti.launches import LAUNCH_URL, platform_form, post_launch
from tests.lti.simulator import Platform, login_params


@pytest.fixture
def canvas(platform):
    p = Platform(launch_url=LAUNCH_URL, tool_jwks=platform.tool_jwks, name="canvas",
                 client_id="10000000000042", deployment_id="7:abc").start()
    yield p
    p.stop()


def instructor(client, platform) -> str:
    """Signed in on the dashboard (through an instructor launch); the page's CSRF token."""
    assert post_launch(client, platform_form(client, platform, "carol")).headers["location"] == "/dashboard"
    page = client.get("/dashboard/lti")
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_a_platform_added_on_the_dashboard_launches_and_removed_does_not(client, platform, canvas):
    assert client.get("/lti/login", params=login_params(canvas, "alice")).status_code == 400  # not registered
    csrf = instructor(client, platform)
    reg = canvas.registration()
    form = {**reg, "deployment_ids": ", ".join(reg["deployment_ids"]), "csrf_token": csrf}
    r = client.post("/dashboard/lti", data=form, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/dashboard/lti").text
    assert canvas.issuer in page and platform.issuer in page and "from AUTOGRADER_LTI_PLATFORMS" in page

    student = platform_form(client, canvas, "bob")  # login and auth through the new platform
    assert post_launch(client, student).status_code == 303
    assert "Hello canvas:bob-sub-2" in client.get("/student").text

    csrf = instructor(client, platform)
    with session_factory(client.app.state.settings.database)() as s:
        [stored] = [p for p in registrations.from_database(s) if p.issuer == canvas.issuer]
    assert client.post(f"/dashboard/lti/{stored.id}/delete", data={"csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    assert client.get("/lti/login", params=login_params(canvas, "alice")).status_code == 400


def test_a_bad_registration_is_refused_with_the_field_named(client, platform):
    csrf = instructor(client, platform)
    form = {**platform.registration(), "issuer": "https://other.example", "deployment_ids": "1",
            "key_set_url": "not a url", "csrf_token": csrf}
    r = client.post("/dashboard/lti", data=form)
    assert r.status_code == 422 and "key_set_url" in r.text


def test_the_dashboard_page_needs_an_instructor(client):
    assert client.get("/dashboard/lti", follow_redirects=False).status_code == 303
    assert client.post("/dashboard/lti", data={}, follow_redirects=False).status_code in (401, 403)
