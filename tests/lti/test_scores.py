"""Grades back through AGS: the launch's line item gets the counted grade, on the LMS delivery log, with retries.

The simulated platform's token endpoint verifies the tool's signed assertion
against ``/lti/jwks``; its scores endpoint records what arrives.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service import grades
from service.db.lms_models import LmsDelivery, LmsLink
from service.db.models import Student, Submission, SubmissionStatus, utcnow
from service.db.session import session_factory
from service.lms import delivery
from service.lti import scores
from service.lti.scores import LINEITEM_SCOPE
from tests.doubles import one_test_report
from tests.lti.simulator import SCORE_SCOPE
from tests.lti.test_launch import platform_form, post_launch

pytestmark = pytest.mark.usefixtures("client")


@pytest.fixture(autouse=True)
def no_cached_tokens():
    scores._tokens.clear()  # per process; each test's platform is new


def graded(settings, student: str, score: float, *, assignment: str = "ex08") -> str:
    with session_factory(settings.database)() as s:
        sid = s.scalar(select(Student.id).where(Student.name == student))
        row = Submission(student_id=sid, assignment=assignment, content=b"x", sha256="0" * 64, score=score,
                         max_score=16.0, status=SubmissionStatus.GRADED.value, attempts=1,
                         finished_at=utcnow(), report=json.dumps(one_test_report(score=score, max_score=16.0).to_dict()))
        s.add(row)
        s.flush()
        grades.recompute_submission(s, row.id)  # as lifecycle.store does
        s.commit()
        return row.id


def deliver(settings, submission_id: str) -> list[float | None]:
    """What the worker does when a submission is graded: log, then one attempt per delivery."""
    with session_factory(settings.database)() as s:
        ids = delivery.schedule(s, submission_id)
        return [delivery.attempt(session=s, delivery_id=i, transports=delivery.transports(settings), settings=settings)
                for i in ids]


def launched(client, platform, user: str = "alice") -> None:
    assert post_launch(client, platform_form(client, platform, user)).status_code == 303


def test_the_counted_grade_reaches_the_line_item(client, platform, lti_settings):
    launched(client, platform)
    assert deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 12.0)) == [None]
    [got] = platform.scores
    assert got["lineitem"] == "1" and got["userId"] == "alice-sub-1"
    assert (got["scoreGiven"], got["scoreMaximum"]) == (12.0, 16.0)
    assert (got["activityProgress"], got["gradingProgress"]) == ("Completed", "FullyGraded")
    assert got["timestamp"].endswith("+00:00") and got["comment"] == "Autograder: 12/16 points (ex08)"
    [token_request] = platform.token_requests
    assert token_request["scope"] == SCORE_SCOPE
    with session_factory(lti_settings.database)() as s:
        d = s.scalar(select(LmsDelivery))
        link = s.get(LmsLink, d.link_id)
        assert (d.status, d.status_codes, link.integration, link.callback_url) == (
            "delivered", "200", "lti", platform.lineitem(1))


def test_the_access_token_is_reused_until_it_expires(client, platform, lti_settings):
    launched(client, platform)
    deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 4.0))
    deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 16.0))
    assert [s["scoreGiven"] for s in platform.scores] == [4.0, 16.0]
    assert len(platform.token_requests) == 1


def test_a_regrade_posts_again_and_a_repeated_hook_does_not(client, platform, lti_settings):
    launched(client, platform)
    sid = graded(lti_settings, "sim:alice-sub-1", 8.0)
    deliver(lti_settings, sid)
    assert deliver(lti_settings, sid) == []  # the same grade: nothing new
    with session_factory(lti_settings.database)() as s:
        row = s.get(Submission, sid)
        row.attempts, row.score = 2, 10.0  # regraded
        grades.recompute_submission(s, sid)
        s.commit()
    deliver(lti_settings, sid)
    assert [s["scoreGiven"] for s in platform.scores] == [8.0, 10.0]


def test_the_platform_down_is_retried_and_the_score_arrives_once(client, platform, lti_settings):
    launched(client, platform)
    platform.down = True
    [wait] = deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 14.0))
    assert wait is not None and wait > 0 and platform.scores == []
    platform.down = False
    with session_factory(lti_settings.database)() as s:
        d = s.scalar(select(LmsDelivery))
        assert (d.status, d.status_codes) == ("pending", "503") and "503" in d.last_error
        assert delivery.attempt(session=s, delivery_id=d.id, transports=delivery.transports(lti_settings), settings=lti_settings) is None
        s.refresh(d)
        assert (d.status, d.status_codes) == ("delivered", "503 200")
    assert [x["scoreGiven"] for x in platform.scores] == [14.0]


def test_students_without_a_line_item_and_other_assignments_send_nothing(client, platform, lti_settings):
    q = platform.claims  # a launch without the AGS claim
    platform.claims = lambda user, **kw: {k: v for k, v in q(user, **kw).items() if "lti-ags" not in k}  # type: ignore[method-assign]
    launched(client, platform, "bob")
    ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"  # alice's: her line item only, no container
    platform.claims = lambda user, **kw: {  # type: ignore[method-assign]
        **q(user, **kw), ags: {"scope": [SCORE_SCOPE], "lineitem": platform.lineitem(1)}}
    launched(client, platform, "alice")
    assert deliver(lti_settings, graded(lti_settings, "sim:bob-sub-2", 5.0)) == []
    assert deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 5.0, assignment="ex08_2020")) == []
    assert platform.scores == []


def test_a_refused_token_is_fetched_again(client, platform, lti_settings):
    launched(client, platform)
    deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 3.0))
    platform._tokens.clear()  # the platform forgets the token it issued
    [wait] = deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 6.0))
    assert wait is not None  # 401 once
    with session_factory(lti_settings.database)() as s:
        d = s.scalars(select(LmsDelivery).order_by(LmsDelivery.id.desc())).first()
        delivery.attempt(session=s, delivery_id=d.id, transports=delivery.transports(lti_settings), settings=lti_settings)
    assert [x["scoreGiven"] for x in platform.scores] == [3.0, 6.0] and len(platform.token_requests) == 2



def test_the_counted_grade_is_posted_not_the_last_score(client, platform, lti_settings):
    from service import schedule
    from service.schedule import Schedule

    launched(client, platform)
    with session_factory(lti_settings.database)() as s:
        schedule.set_override(s, "ex08", Schedule(counted="best"))
        grades.apply(s, {}, "ex08")
    deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 14.0))
    deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 6.0))  # worse: the best still counts
    assert [x["scoreGiven"] for x in platform.scores] == [14.0, 14.0]


def test_a_score_answered_with_plain_text_counts_as_delivered(client, platform, lti_settings):
    launched(client, platform)
    platform.plain_score_answer = True
    assert deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 9.0)) == [None]
    assert [x["scoreGiven"] for x in platform.scores] == [9.0]  # once: not retried


def test_without_the_tool_key_the_attempt_fails_and_says_why(client, platform, lti_settings):
    launched(client, platform)
    production = lti_settings.model_copy(update={"env": "production", "lti_private_key": None})
    with session_factory(lti_settings.database)() as s:
        [delivery_id] = delivery.schedule(s, graded(lti_settings, "sim:alice-sub-1", 9.0))
        assert delivery.attempt(session=s, delivery_id=delivery_id, transports=delivery.transports(production), settings=production) is not None
        assert "AUTOGRADER_LTI_PRIVATE_KEY" in s.get(LmsDelivery, delivery_id).last_error
    assert platform.scores == []


def test_the_dashboard_shows_the_score_post_and_re_sends_it(client, platform, lti_settings):
    launched(client, platform)
    sid = graded(lti_settings, "sim:alice-sub-1", 11.0)
    deliver(lti_settings, sid)
    assert post_launch(client, platform_form(client, platform, "carol")).status_code == 303  # the instructor
    page = client.get(f"/dashboard/submissions/{sid}").text
    assert "<td>lti</td>" in page and platform.lineitem(1) in page
    csrf = page.split('name="csrf-token" content="')[1].split('"')[0]
    with session_factory(lti_settings.database)() as s:
        delivery_id = s.scalar(select(LmsDelivery.id))
    r = client.post(f"/dashboard/deliveries/{delivery_id}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and client.app.state.queue.deliveries == [delivery_id]
    with session_factory(lti_settings.database)() as s:  # what the worker does with the re-sent task
        assert delivery.attempt(session=s, delivery_id=delivery_id, transports=delivery.transports(lti_settings), settings=lti_settings) is None
    assert [x["scoreGiven"] for x in platform.scores] == [11.0, 11.0]


def test_a_launch_with_only_the_container_finds_or_creates_its_line_item(client, platform, lti_settings):
    from grader.assignments import load

    ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    claims = platform.claims
    platform.claims = lambda user, **kw: {  # type: ignore[method-assign]
        **claims(user, **kw), ags: {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitems": f"{platform.url}/lineitems"}}
    launched(client, platform, "alice")
    launched(client, platform, "bob")
    [item] = platform.lineitems  # created once, found the second time
    assert (item["resourceLinkId"], item["resourceId"], item["tag"]) == ("resource-link-1", "ex08", "autograder:ex08")
    assert item["scoreMaximum"] == load("ex08").max_score
    deliver(lti_settings, graded(lti_settings, "sim:bob-sub-2", 7.0))
    [got] = platform.scores
    assert got["lineitem"] == "100" and got["userId"] == "bob-sub-2"


def test_no_line_item_without_the_scope_to_create_one(client, platform, lti_settings):
    ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    claims = platform.claims
    platform.claims = lambda user, **kw: {  # type: ignore[method-assign]
        **claims(user, **kw), ags: {"scope": [SCORE_SCOPE], "lineitems": f"{platform.url}/lineitems"}}
    launched(client, platform, "alice")  # signed in all the same
    assert deliver(lti_settings, graded(lti_settings, "sim:alice-sub-1", 7.0)) == []
    assert platform.lineitems == [] and platform.scores == []
