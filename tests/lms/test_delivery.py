"""Grade delivery with the in-memory transport: signing, the log, backoff, limits, re-send, idempotent hook."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from grader.report import Report, Status, TestResult
from service.db.lms_models import LmsDelivery, LmsLink
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.lms import delivery, signing
from service.tokens import create_token
from tests.doubles import MemoryHttp, MemoryTransport
from tests.lms.receiver import create_app as receiver_app

SECRET = "moodle-secret"
REPORT = Report(1.5, 3.0, 0.1, "", [
    TestResult("bn forward", "1", 1.5, 1.5, Status.PASSED, "secret details"),
    TestResult("hidden one", "2", 0.0, 1.5, Status.FAILED, visibility="hidden")],
    "ex08", 0, "test", "0" * 64).to_dict()


@pytest.fixture
def lms_settings(settings):
    return settings.model_copy(update={"lms_secrets": {"moodle": SecretStr(SECRET)}, "lms_callback_max_attempts": 3,
                                       "lms_callback_backoff_s": 2.0, "lms_callback_backoff_max_s": 5.0})


@pytest.fixture
def sessions(lms_settings):
    return session_factory(lms_settings.database)


@pytest.fixture
def graded(sessions) -> str:
    with sessions() as s:
        create_token(session=s, student="moodle:u1")
        row = Submission(student_id=s.query(Student).one().id, assignment="ex08", content=b"x=1\n", sha256="0",
                         status="graded", attempts=1, report=json.dumps(REPORT), score=1.5, max_score=3.0)
        s.add(row)
        s.flush()
        s.add(LmsLink(integration="moodle", course_id="c", assignment_id="a", student_id="u1",
                      external_submission_id="e1", submission_id=row.id, callback_url="http://127.0.0.1:9/g"))
        s.commit()
        return row.id


def log(sessions, did) -> LmsDelivery:
    with sessions() as s:
        return s.get(LmsDelivery, did)


def test_schedule_is_idempotent_per_graded_attempt_and_skips_plain_uploads(sessions, graded):
    with sessions() as s:
        first = delivery.schedule(s, graded)
        assert len(first) == 1 and delivery.schedule(s, graded) == []
        s.get(Submission, graded).attempts = 2  # a regrade is delivered again
        s.commit()
        assert len(delivery.schedule(s, graded)) == 1
        plain = Submission(student_id=1, assignment="ex08", content=b"", sha256="0", status="graded")
        s.add(plain)
        s.commit()
        assert delivery.schedule(s, plain.id) == []


def test_delivered_payload_is_signed_and_summarises_the_grade(sessions, graded, lms_settings):
    http = MemoryHttp(200)
    with sessions() as s:
        [did] = delivery.schedule(s, graded)
        assert delivery.attempt(session=s, delivery_id=did, transports=webhook(lms_settings, http),
                                settings=lms_settings) is None
    url, body, headers = http.sent[0]
    signing.verify(SECRET, body, timestamp=headers[signing.TIMESTAMP], sig=headers[signing.SIGNATURE], window_s=60)
    sent = json.loads(body)
    assert url == "http://127.0.0.1:9/g" and headers[signing.INTEGRATION] == "moodle"
    assert (sent["score"], sent["max_score"], sent["external_submission_id"]) == (1.5, 3.0, "e1")
    assert [t["name"] for t in sent["tests"]] == ["bn forward", "hidden one"]
    assert "output" not in sent["tests"][0] and "/student/reports/" in sent["report_url"]
    d = log(sessions, did)
    assert (d.status, d.attempts, d.status_codes, d.last_error) == ("delivered", 1, "200", None)
    assert d.delivered_at is not None


def test_failures_back_off_with_jitter_then_fail_and_resend_starts_over(sessions, graded, lms_settings):
    http = MemoryHttp(503, ConnectionRefusedError("refused"), 500, 200)
    transport = webhook(lms_settings, http)
    with sessions() as s:
        [did] = delivery.schedule(s, graded)
        waits = [delivery.attempt(session=s, delivery_id=did, transports=transport, settings=lms_settings,
                                  rng=lambda: 1.0) for _ in range(3)]
    assert waits == [2.0, 4.0, None]  # 2 s, doubled, then the limit of 3 attempts
    d = log(sessions, did)
    assert (d.status, d.attempts, d.status_codes) == ("failed", 3, "503 - 500")
    assert d.last_status_code == 500 and d.last_error == "HTTP 500" and d.delivered_at is None
    with sessions() as s:
        assert delivery.attempt(session=s, delivery_id=did, transports=transport, settings=lms_settings) is None
        assert len(http.sent) == 3  # a failed delivery is not retried by itself
        assert delivery.resend(s, did)
        assert delivery.attempt(session=s, delivery_id=did, transports=transport, settings=lms_settings) is None
    d = log(sessions, did)
    assert (d.status, d.attempts, d.status_codes) == ("delivered", 1, "503 - 500 | 200")


def webhook(settings, http: MemoryHttp) -> delivery.Transports:
    return delivery.Transports(delivery.Webhook(settings, http=http))


def test_each_integration_sends_through_its_own_transport(sessions, graded, lms_settings):
    lms, lti = MemoryTransport(), MemoryTransport((503, "HTTP 503"))
    transports = delivery.Transports(lms, {"lti": lti})
    with sessions() as s:
        s.add(LmsLink(integration="lti", course_id="https://platform", assignment_id="ex08", student_id="sub-1",
                      external_submission_id=f"1:{graded}", submission_id=graded, callback_url="http://li/1"))
        s.commit()
        ids = delivery.schedule(s, graded)
        waits = [delivery.attempt(session=s, delivery_id=i, transports=transports, settings=lms_settings)
                 for i in ids]
    assert [x[1:] for x in lms.sent] == [("moodle", "e1")] and [x[1:] for x in lti.sent] == [("lti", f"1:{graded}")]
    assert sorted(w is None for w in waits) == [False, True]  # the LTI one is retried, by the same log


def test_backoff_is_capped_and_jittered():
    assert delivery.backoff(1, base=2, cap=5, rng=lambda: 0.0) == 1.0
    assert delivery.backoff(10, base=2, cap=5, rng=lambda: 1.0) == 5.0
    assert 2.5 <= delivery.backoff(10, base=2, cap=5) <= 5.0


def test_reference_receiver_verifies_and_deduplicates():
    from starlette.testclient import TestClient

    app = receiver_app({"moodle": SECRET})
    raw = json.dumps({"delivery_id": 7, "score": 1}).encode()
    with TestClient(app) as c:
        good = {**signing.sign(SECRET, raw, integration="moodle"), signing.DELIVERY: "7"}
        assert c.post("/grades", content=raw, headers=good).status_code == 200
        assert c.post("/grades", content=raw, headers=good).status_code == 200
        bad = {**signing.sign("wrong", raw, integration="moodle"), signing.DELIVERY: "8"}
        assert c.post("/grades", content=raw, headers=bad).status_code == 401
    assert list(app.state.grades) == ["7"]


def test_overdue_finds_deliveries_whose_retry_message_was_lost_once_per_grace(sessions, graded):
    from datetime import timedelta

    from service.db.models import utcnow

    with sessions() as s:
        (did,) = delivery.schedule(s, graded)
        assert delivery.overdue(s, grace=timedelta(seconds=60)) == []  # just scheduled: its task is on its way
        s.get(LmsDelivery, did).next_attempt_at = utcnow() - timedelta(minutes=5)  # the retry never ran
        s.commit()
        assert delivery.overdue(s, grace=timedelta(seconds=60)) == [did]
        assert delivery.overdue(s, grace=timedelta(seconds=60)) == []  # claimed: not re-sent every sweep
        s.get(LmsDelivery, did).status = "delivered"
        s.get(LmsDelivery, did).next_attempt_at = utcnow() - timedelta(minutes=5)
        s.commit()
        assert delivery.overdue(s, grace=timedelta(seconds=60)) == []
