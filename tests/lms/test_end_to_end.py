"""An LMS simulator posts signed submissions to the real service and receives signed grades, also after an
outage.

The worker grades with the real grader and sandbox; the training checks are off
(the browser tests cover them), so ex08 is worth 16 points here.
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from markupsafe import escape
from pydantic import SecretStr

from grader.feedback import HINTS
from service.db.lms_models import LmsDelivery
from service.db.session import session_factory
from service.lms import signing
from tests.dashboard.live import RIGHT, WRONG, WRONG_FAILS, live_service
from tests.lms.receiver import Receiver

pytestmark = pytest.mark.service
SECRET = "e2e-secret"
FULL = 16.0
"""ex08's points without the training tests."""


@pytest.fixture
def service(settings, redis_url, tmp_path):
    settings = settings.model_copy(update={
        "lms_secrets": {"moodle": SecretStr(SECRET)}, "lms_callback_hosts": "127.0.0.1",
        "lms_callback_backoff_s": 0.3, "lms_callback_backoff_max_s": 1.0, "lms_callback_max_attempts": 30})
    with live_service(settings, redis_url, tmp_path / "worker.log") as running:
        yield running


def submit(url: str, ext: str, content: bytes, callback: str) -> httpx.Response:
    raw = json.dumps({"course_id": "i2dl", "assignment_id": "ex08", "student_id": f"u-{ext}",
                      "external_submission_id": ext, "file_base64": base64.b64encode(content).decode(),
                      "callback_url": callback}).encode()
    headers = {"Content-Type": "application/json", **signing.sign(SECRET, raw, integration="moodle")}
    return httpx.post(f"{url}/api/v1/lms/submissions", content=raw, headers=headers, timeout=10)


def wait_for(predicate, timeout: float = 40, what: str = ""):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def deliveries(settings) -> list[LmsDelivery]:
    with session_factory(settings.database)() as s:
        return list(s.query(LmsDelivery).order_by(LmsDelivery.id))


def test_signed_grades_reach_the_lms_and_survive_an_outage(service):
    url, settings, worker = service
    receiver = Receiver({"moodle": SECRET}).start()
    try:
        assert submit(url, "s1", RIGHT, receiver.url).status_code == 202
        assert submit(url, "s2", WRONG, receiver.url).status_code == 202
        assert submit(url, "s2", WRONG, receiver.url).status_code == 200  # the LMS retried: same submission
        got = wait_for(lambda: len(receiver.grades) >= 2 and receiver.grades, what="two grades")
        by_ext = {g["external_submission_id"]: g for g in got}
        assert (by_ext["s1"]["score"], by_ext["s1"]["max_score"]) == (FULL, FULL)
        # keep convention: the fraction test only (2 points)
        assert (by_ext["s2"]["score"], by_ext["s2"]["max_score"]) == (FULL - 2, FULL)
        failing = [t for t in by_ext["s2"]["tests"] if t["status"] == "failed"]
        assert [t["name"] for t in failing] == WRONG_FAILS
        page = httpx.get(by_ext["s2"]["report_url"], timeout=10)  # the link works without a token
        assert page.status_code == 200 and "keep_convention" in page.text
        assert escape(HINTS["keep_convention"]) in page.text

        receiver.stop()  # the LMS goes down
        assert submit(url, "s3", RIGHT, receiver.url).status_code == 202
        wait_for(lambda: any(d.attempts >= 3 for d in deliveries(settings) if d.status == "pending"),
                 what="three failed attempts")
        receiver.start()  # back up, same port
        got = wait_for(lambda: [g for g in receiver.grades if g["external_submission_id"] == "s3"],
                       what="the grade after the outage")
        assert got[0]["score"] == FULL
        last = wait_for(lambda: [d for d in deliveries(settings) if d.status == "delivered"][2:], what="log")
        assert last[0].attempts >= 4 and last[0].status_codes.startswith("- - -")
        assert last[0].status_codes.endswith("200") and last[0].delivered_at is not None
        assert len(receiver.grades) == 3  # each grade exactly once
    finally:
        receiver.stop()
