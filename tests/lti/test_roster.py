"""The course roster from the platform (Names and Roles 2.0): every learner is a student of the course.

The simulated platform serves its roster in pages (``Link: rel="next"``) and a
``rel="differences"`` link; the refresh is what the worker task does
(``service.lti.roster.refresh``), sent by the launch to the app's queue.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from service.db.lti_models import LtiContext, LtiMember
from service.db.models import Student, utcnow
from service.db.session import session_factory
from service.lti import roster
from service.lti.members import is_learner
from tests.api.test_postgres import pg_database  # noqa: F401 - fixture
from tests.lti.memberships import MEMBERSHIP, TA
from tests.lti.test_launch import platform_form, post_launch
from tests.lti.test_scores import graded


@pytest.fixture(autouse=True)
def no_cached_tokens():
    from service.lti import scores

    scores._tokens.clear()  # per process; each test's platform is new


@pytest.fixture
def course_of_50(platform):
    """alice, bob and 48 more learners (50), the instructor carol and a teaching assistant: 3 pages of 20."""
    platform.roster.learners(48)
    platform.roster.add("ta-1", TA, name="Tess Assistant")
    return platform


def refresh(settings, **kw) -> roster.Synced:
    """What the worker's ``autograder.refresh_roster`` does for the course's one context."""
    with session_factory(settings.database)() as s:
        return roster.refresh(s, s.scalars(select(LtiContext.id)).one(), settings, **kw)


def launched(client, platform, user: str = "alice") -> None:
    assert post_launch(client, platform_form(client, platform, user)).status_code == 303


def csv_students(client) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(client.get("/dashboard/export.csv?assignment=ex08").text)))
    return [r["student"] for r in rows]


def gradebook_total(client, **query: str) -> int:
    page = client.get("/dashboard/gradebook", params={"assignment": "ex08", **query}).text
    return int(re.search(r'id="gradebook-total">(\d+)<', page).group(1))  # type: ignore[union-attr]


def test_one_launch_brings_the_whole_roster_into_the_gradebook_and_the_csv(client, course_of_50, lti_settings):
    platform = course_of_50
    launched(client, platform, "alice")  # one learner opens the tool
    [context_pk] = client.app.state.queue.rosters  # the refresh went to a worker
    synced = refresh(lti_settings)
    assert (synced.learners, synced.staff, synced.inactive, synced.full) == (50, 2, 0, True)
    assert [r.split("?")[1] if "?" in r else "" for r in platform.roster.requests] == [
        "", "cursor=P1", "cursor=P2"]  # three pages, each cursor kept as the platform wrote it
    graded(lti_settings, "sim:alice-sub-1", 12.0)

    launched(client, platform, "carol")  # the instructor looks
    students = csv_students(client)
    assert len(students) == 50 and "sim:learner-047" in students and "sim:bob-sub-2" in students
    assert not any("carol" in s or "ta-1" in s for s in students)  # staff are not counted
    assert gradebook_total(client) == 50
    assert gradebook_total(client, state="not_submitted") == 49  # everyone but alice
    with session_factory(lti_settings.database)() as s:
        bob = s.scalar(select(LtiMember).where(LtiMember.user_id == "learner-003"))
        assert (bob.full_name, bob.email, bob.learner, bob.active) == (
            "Learner 3", "learner-003@example.edu", True, True)


def test_a_member_who_left_is_kept_inactive_and_leaves_the_course_lists(client, course_of_50, lti_settings):
    platform = course_of_50
    launched(client, platform, "alice")
    refresh(lti_settings)
    platform.roster.remove("learner-007")
    platform.roster.learners(1, prefix="late-joiner")
    platform.roster.requests.clear()
    synced = refresh(lti_settings)  # only the differences since the last fetch
    assert not synced.full and platform.roster.requests[0].startswith("/memberships/differences?since=")
    assert (synced.learners, synced.inactive) == (50, 1)
    with session_factory(lti_settings.database)() as s:
        left = s.scalar(select(LtiMember).where(LtiMember.user_id == "learner-007"))
        assert left is not None and not left.active and left.student_id is not None  # kept, inactive
        assert s.get(Student, left.student_id) is not None
    launched(client, platform, "carol")
    students = csv_students(client)
    assert "sim:learner-007" not in students and "sim:late-joiner-000" in students and len(students) == 50


def test_a_full_fetch_marks_whoever_is_no_longer_listed_inactive(client, course_of_50, lti_settings):
    launched(client, course_of_50, "alice")
    refresh(lti_settings)
    del course_of_50.roster.members["learner-011"]  # gone without a trace (a platform without differences)
    assert refresh(lti_settings, full=True).inactive == 1
    with session_factory(lti_settings.database)() as s:
        assert not s.scalar(select(LtiMember.active).where(LtiMember.user_id == "learner-011"))


def test_a_suspended_member_listed_inactive_is_inactive_and_back_when_active(client, course_of_50, lti_settings):
    launched(client, course_of_50, "alice")
    refresh(lti_settings)
    course_of_50.roster.suspend("learner-030")
    assert refresh(lti_settings, full=True).inactive == 1
    course_of_50.roster.add("learner-030")  # enrolled again
    assert refresh(lti_settings).inactive == 0


def test_a_learner_who_left_but_submitted_stays_in_the_gradebook(client, course_of_50, lti_settings):
    launched(client, course_of_50, "alice")
    refresh(lti_settings)
    graded(lti_settings, "sim:learner-020", 9.0)
    course_of_50.roster.remove("learner-020")
    refresh(lti_settings)
    launched(client, course_of_50, "carol")
    assert "sim:learner-020" in csv_students(client)  # their grade does not vanish from the export


def test_launches_ask_for_a_refresh_at_most_every_few_minutes(client, platform, lti_settings):
    queue = client.app.state.queue
    launched(client, platform, "alice")
    launched(client, platform, "bob")
    assert len(queue.rosters) == 1
    with session_factory(lti_settings.database)() as s:
        s.execute(update(LtiContext).values(requested_at=utcnow() - timedelta(minutes=10)))
        s.commit()
    launched(client, platform, "bob")
    assert len(queue.rosters) == 2


def test_the_schedule_claims_each_due_roster_once(client, platform, lti_settings):
    launched(client, platform, "alice")
    refresh(lti_settings)
    with session_factory(lti_settings.database)() as s:
        assert roster.due(s, lti_settings) == []  # fresh
        s.execute(update(LtiContext).values(synced_at=utcnow() - timedelta(hours=2),
                                            requested_at=utcnow() - timedelta(hours=2)))
        s.commit()
        [pk] = roster.due(s, lti_settings)
        assert roster.due(s, lti_settings) == []  # another sweeper at the same moment gets nothing


def test_the_sweeper_sends_the_refresh_of_each_due_roster(client, platform, lti_settings, monkeypatch):
    from workers import lti_roster

    sent: list[int] = []
    monkeypatch.setattr(lti_roster.TaskSender, "refresh_roster", lambda self, pk: sent.append(pk))
    launched(client, platform, "alice")
    assert lti_roster.request_due(lti_settings) == []  # just asked for by the launch
    with session_factory(lti_settings.database)() as s:
        s.execute(update(LtiContext).values(requested_at=utcnow() - timedelta(hours=2)))
        s.commit()
        pk = s.scalar(select(LtiContext.id))
    assert lti_roster.request_due(lti_settings) == [pk] and sent == [pk]


def test_the_dashboard_shows_the_course_and_refreshes_its_roster(client, platform, lti_settings):
    launched(client, platform, "alice")
    platform.roster.down = True
    with pytest.raises(roster.RosterError):
        refresh(lti_settings)
    launched(client, platform, "carol")
    page = client.get("/dashboard/lti").text
    assert 'id="lti-courses"' in page and "course-1" in page and "503" in page  # the failure, said
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    queue = client.app.state.queue
    before = len(queue.rosters)
    with session_factory(lti_settings.database)() as s:
        pk = s.scalar(select(LtiContext.id))
    r = client.post(f"/dashboard/lti/courses/{pk}/refresh", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and queue.rosters[before:] == [pk]
    platform.roster.down = False
    refresh(lti_settings)
    page = client.get("/dashboard/lti").text
    assert "503" not in page and re.search(r'class="roster-learners">2<', page)  # alice and bob


def test_only_learners_count():
    assert is_learner([MEMBERSHIP + "Learner"]) and is_learner(["Learner"])
    assert is_learner(["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#GuestLearner"])
    assert not is_learner([TA]) and not is_learner([MEMBERSHIP + "Instructor"])
    assert not is_learner([MEMBERSHIP + "Learner", MEMBERSHIP + "Instructor"])  # staff wins
    assert not is_learner(["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Learner"])  # not this course


@pytest.mark.postgres
def test_the_roster_on_postgres(course_of_50, lti_settings, pg_database):  # noqa: F811 - the fixture
    """The same refresh, leavers and course lists on PostgreSQL (savepoints, the stamp, the membership query)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.ratelimit import UploadLimiter
    from tests.doubles import MemoryQueue

    settings = lti_settings.model_copy(update={"database_url": pg_database})
    app = create_app(settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        course_of_50.holder["client"] = client
        launched(client, course_of_50, "alice")
        assert refresh(settings).learners == 50
        del course_of_50.roster.members["learner-001"]
        assert refresh(settings, full=True).inactive == 1
        launched(client, course_of_50, "carol")
        students = csv_students(client)
        assert len(students) == 49 and "sim:learner-001" not in students
