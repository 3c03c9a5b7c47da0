"""The course in headless Chromium: the platform on 127.0.0.1, the tool on localhost (another site).

The launch is the platform page's auto-submitting form, a real cross-site POST:
Chromium sends no ``SameSite=Lax`` cookie with it, so this proves the login's
state and nonce survive it server-side. Then the student uploads on the page,
the real worker grades, and the score reaches the platform's line item.
"""

from __future__ import annotations

import time

import pytest

from tests.browser import ARGS, chromium_path
from tests.dashboard.live import RIGHT
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
        browser = p.chromium.launch(executable_path=chromium_path(), args=ARGS)
        yield browser
        browser.close()


def test_a_student_launches_uploads_and_the_grade_reaches_the_platform(course, chromium, tmp_path):
    url, platform, _ = course
    page = chromium.new_context().new_page()
    page.goto(f"{platform.url}/start?user=alice")  # the course page's link: login, auth, the form POST
    page.wait_for_url(f"{url}/student")
    assert page.locator("h1").inner_text() == "Hello sim:alice-sub-1"
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
