"""The course in headless Chromium: the platform on 127.0.0.1, the tool on localhost (another site).

The launch is the platform page's auto-submitting form, a real cross-site POST:
Chromium sends no ``SameSite=Lax`` cookie with it, but the login's ``SameSite=None``
state cookie, which binds the launch to this browser. In the platform's iframe with
third-party cookies blocked, the platform's postMessage storage does instead. Then the student uploads on the page,
the real worker grades, and the score reaches the platform's line item.
"""

from __future__ import annotations

import time

import pytest

from tests.dashboard.live import RIGHT
from tests.dashboard.test_browser import ARGS, _chromium
from tests.lti.live import running_course

pytestmark = [pytest.mark.service, pytest.mark.browser]


@pytest.fixture
def course(settings, redis_url, tmp_path):
    with running_course(settings, redis_url, tmp_path, host="localhost") as running:
        yield running


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield browser
        browser.close()


def launch_cookies(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The Cookie header of each POST to /lti/launch the page makes (filled in as they happen)."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.all_headers().get("cookie", ""))
            if r.method == "POST" and r.url.endswith("/lti/launch") else None)
    return sent


def test_a_student_launches_uploads_and_the_grade_reaches_the_platform(course, chromium, tmp_path):
    url, platform, _ = course
    page = chromium.new_context().new_page()
    sent = launch_cookies(page)
    page.goto(f"{platform.url}/start?user=alice")  # the course page's link: login, auth, the form POST
    page.wait_for_url(f"{url}/student")
    assert page.locator("h1").inner_text() == "Hello sim:alice-sub-1"
    [cookie] = sent  # the cross-site POST carried the login's SameSite=None state cookie, no Lax session
    assert "lti1p3-state-" in cookie and "ag_session" not in cookie
    [auth] = platform.auth_requests
    assert auth["redirect_uri"] == f"{url}/lti/launch"
    layers = tmp_path / "layers.py"
    layers.write_bytes(RIGHT)
    page.set_input_files("#file", str(layers))
    page.click("#upload button[type=submit]")
    page.wait_for_url(f"{url}/student/submissions/*")
    deadline = time.monotonic() + 90
    while not platform.scores and time.monotonic() < deadline:
        time.sleep(0.2)
    [score] = platform.scores
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("alice-sub-1", 16.0, 16.0)


def test_an_instructor_launch_opens_the_dashboard(course, chromium):
    url, platform, _ = course
    page = chromium.new_context().new_page()
    page.goto(f"{platform.url}/start?user=carol")
    page.wait_for_url(f"{url}/dashboard")
    page.goto(f"{url}/dashboard/lti")
    assert platform.issuer in page.locator("#lti-platforms").inner_text()


def test_in_an_iframe_without_third_party_cookies_the_platform_storage_proves_the_browser(course, tmp_path):
    """The tool framed by the platform's course page, third-party cookies blocked: the state cookie never
    comes back, and the secret kept in the platform's storage (postMessage) proves the browser instead."""
    from playwright.sync_api import sync_playwright

    url, platform, settings = course
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(),
                                    args=[*ARGS, "--test-third-party-cookie-phaseout"])
        try:
            page = browser.new_page()
            sent = launch_cookies(page)
            proofs: list[str] = []
            page.on("request", lambda r: proofs.append(r.post_data or "")
                    if r.method == "POST" and r.url.endswith("/lti/launch") else None)
            page.goto(f"{platform.url}/course?user=bob")
            deadline = time.monotonic() + 30
            while "sim:bob-sub-2" not in _students(settings) and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            log = page.evaluate("window.storageLog")
        finally:
            browser.close()
    assert "sim:bob-sub-2" in _students(settings)  # the launch was accepted
    assert log == [f"lti.put_data {url}", f"lti.get_data {url}"]
    assert len(sent) == 2 and not any("lti1p3-" in c for c in sent)  # no cookie came back, either time
    assert "lti_state_proof=" not in proofs[0] and "lti_state_proof=" in proofs[1]


def _students(settings) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from service.db.models import Student
    from service.db.session import session_factory

    with session_factory(settings.database)() as s:
        return list(s.scalars(select(Student.name)))
