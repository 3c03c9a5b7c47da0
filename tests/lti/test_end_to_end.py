"""A course launches the autograder from the (simulated) platform and gets the grade back in its gradebook.

The real app on uvicorn, a real worker grading with the real grader and sandbox
(training checks off: ex08 is worth 16 points), the platform on its own HTTP
server: login -> platform auth -> launch (posted without our cookies) -> the
student page -> upload -> graded -> the score posted to the line item; then the
platform's scores endpoint is down for a while and the next score still arrives,
exactly once. A launch also has the worker fetch the course's roster (Names and Roles).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from service.db.lms_models import LmsDelivery
from service.db.lti_models import LtiMember
from service.db.models import Submission
from service.db.session import session_factory
from service.settings import Settings
from tests.dashboard.live import RIGHT, WRONG
from tests.lti.live import running_course
from tests.lti.memberships import NRPS_SCOPE
from tests.lti.simulator import SCORE_SCOPE, Platform, cross_site_cookies, login_params, parse_form

pytestmark = pytest.mark.service
FULL = 16.0


@pytest.fixture
def course(settings, redis_url, tmp_path) -> Iterator[tuple[str, Platform, Settings]]:
    with running_course(settings, redis_url, tmp_path) as running:
        yield running


def wait_for(predicate, timeout: float = 60, what: str = ""):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def launch(browser: httpx.Client, platform: Platform, user: str) -> str:
    """Through the platform into the student page; the page's CSRF token."""
    r = browser.get("/lti/login", params=login_params(platform, user))
    assert r.status_code == 302
    action, fields = parse_form(httpx.get(r.headers["location"], timeout=10).text)
    headers = cross_site_cookies(browser.cookies)  # the form POST is cross-site: only the state cookie goes
    browser.cookies.clear()
    r = browser.post(action, data=fields, headers=headers)
    assert r.status_code == 303 and r.headers["location"] == "/student"
    page = browser.get("/student")
    assert page.status_code == 200 and f"Hello {platform.name}:{platform.users[user]['sub']}" in page.text
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def upload(browser: httpx.Client, csrf: str, content: bytes) -> str:
    r = browser.post("/student/upload", files={"file": ("layers.py", content)}, data={"csrf_token": csrf},
                     headers={"Accept": "application/json"})
    assert r.status_code == 202, r.text
    return str(r.json()["id"])


def deliveries(settings) -> list[LmsDelivery]:  # type: ignore[no-untyped-def]
    with session_factory(settings.database)() as s:
        return list(s.query(LmsDelivery).order_by(LmsDelivery.id))


def test_launch_upload_grade_and_the_score_reaches_the_platform(course):
    url, platform, settings = course
    with httpx.Client(base_url=url, timeout=10) as browser:
        csrf = launch(browser, platform, "alice")
        upload(browser, csrf, RIGHT)
        [got] = wait_for(lambda: platform.scores, what="the first score")
        assert (got["userId"], got["scoreGiven"], got["scoreMaximum"]) == ("alice-sub-1", FULL, FULL)
        assert (got["activityProgress"], got["gradingProgress"]) == ("Completed", "FullyGraded")

        platform.down = True  # the platform's scores endpoint goes down
        wrong = upload(browser, csrf, WRONG)
        wait_for(lambda: any(d.attempts >= 3 for d in deliveries(settings) if d.status == "pending"),
                 what="three failed attempts")
        platform.down = False
        wait_for(lambda: len(platform.scores) >= 2, what="the score after the outage")
        time.sleep(1.5)  # long enough for a duplicate retry to show up
        with session_factory(settings.database)() as s:
            wrong_score = s.get(Submission, wrong).score
        assert wrong_score < FULL
        assert [s["scoreGiven"] for s in platform.scores] == [FULL, wrong_score]  # each grade exactly once
        last = deliveries(settings)[-1]
        assert last.status == "delivered" and last.status_codes.startswith("503 503 503")
        assert last.status_codes.endswith("200")
        scored = [t for t in platform.token_requests if t["scope"] == SCORE_SCOPE]
        assert len(scored) == 1  # the worker kept its access token


def test_the_launch_has_a_worker_fetch_the_course_roster(course):
    url, platform, settings = course
    platform.roster.learners(25)  # two pages
    with httpx.Client(base_url=url, timeout=10) as browser:
        launch(browser, platform, "alice")
    wait_for(lambda: learners(settings) == 27, what="the roster (alice, bob and 25 more)")
    assert [t["scope"] for t in platform.token_requests] == [NRPS_SCOPE]
    assert platform.roster.requests[1].endswith("cursor=P1")


def learners(settings) -> int:  # type: ignore[no-untyped-def]
    with session_factory(settings.database)() as s:
        return len(s.scalars(select(LtiMember).where(LtiMember.learner == True, LtiMember.active == True)).all())  # noqa: E712
