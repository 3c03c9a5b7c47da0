"""A course with several exercises: the student page lets a token's student choose the assignment
(``?assignment=ID``) and shows that one only (schedule, closed, counted grade, upload form, uploads); an LTI
launch's session stays bound to its link's assignment; the upload form names its assignment and the upload
goes there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.responses import Response
from fastapi.testclient import TestClient

from api import auth
from api.app import create_app
from service import schedule
from service.db.models import Student, Submission
from service.schedule import Schedule
from service.tokens import authenticate, create_token, digest
from tests.dashboard.pages import NOW, RIGHT, csrf_of, student_client
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue

CONV = "cs231n_conv"


@pytest.fixture
def several(dash_settings):
    return dash_settings.model_copy(update={"assignments": f"ex08,{CONV}"})


def _queued(sessions, name: str, assignment: str) -> str:
    """An upload of ``assignment`` by ``name`` (an existing student), waiting for a worker."""
    with sessions() as s:
        who = s.query(Student).filter_by(name=name).one()
        row = Submission(student_id=who.id, assignment=assignment, content=b"x = 1\n", sha256="0" * 64,
                         status="queued")
        s.add(row)
        s.commit()
        return row.id


def _hidden_assignment(html: str) -> str | None:
    found = re.search(r'<input type="hidden" name="assignment" value="([^"]*)">', html)
    return found.group(1) if found else None


def _upload(client: TestClient, html: str, **fields: str):
    return client.post("/student/upload", data={"csrf_token": csrf_of(html), **fields},
                       files={"file": ("layers.py", RIGHT)}, follow_redirects=False)


def test_the_home_page_shows_the_chosen_assignment_only(several, sessions):
    with sessions() as s:
        schedule.set_override(s, "ex08", Schedule(due_at=NOW + timedelta(days=2)))
        schedule.set_override(s, CONV, Schedule(closes_at=NOW - timedelta(days=1)))
    ex08 = add_graded(sessions, "ann", b"ok\n")
    conv = _queued(sessions, "ann", CONV)
    with student_client(several, sessions, "ann") as ann:
        home = ann.get("/student").text  # the default: ex08
        choice = home.split('id="assignment-choice"')[1].split("</form>")[0]
        assert '<form method="get" action="/student"' in home and "<label>Assignment <select" in choice
        assert re.findall(r'<option value="([^"]+)"', choice) == ["ex08", CONV]
        assert re.search(r'<option value="ex08" selected>', choice)
        assert ex08 in home and conv not in home
        assert _hidden_assignment(home) == "ex08" and "for ex08</b>" in home and 'id="closed"' not in home
        assert "days" in home.split('id="time-left"')[1][:40]  # ex08's due date, two days away
        assert 'id="counted-link"' in home  # ex08's counted grade

        chosen = ann.get(f"/student?assignment={CONV}")
        assert chosen.status_code == 200
        page = chosen.text
        assert re.search(rf'<option value="{CONV}" selected>', page)
        assert conv in page and ex08 not in page  # its uploads only, and no counted grade of ex08's
        assert 'id="closed"' in page and 'id="upload"' not in page  # cs231n_conv's close, not ex08's
        assert 'id="time-left"' not in page and f"Your uploads of {CONV}" in page


def test_the_upload_goes_to_the_form_s_assignment_and_its_report_names_it(several, sessions, queue):
    add_graded(sessions, "bea", b"ok\n")
    with student_client(several, sessions, "bea") as bea:
        page = bea.get(f"/student?assignment={CONV}").text
        assert _hidden_assignment(page) == CONV and f"Your layers.py for {CONV}" in page
        r = _upload(bea, page, assignment=CONV)
        assert r.status_code == 303 and r.headers["location"].startswith("/student/submissions/")
        sid = r.headers["location"].rsplit("/", 1)[1]
        with sessions() as s:
            assert s.get(Submission, sid).assignment == CONV
        report = bea.get(r.headers["location"]).text
        assert f'for <span id="report-assignment">{CONV}</span>' in report
        assert f'href="/student?assignment={CONV}"' in report
        earlier = report.split("Your other uploads")[1]
        assert "— ex08 —" in earlier  # the other upload is named with its assignment

        unknown = _upload(bea, page, assignment="ex99")  # the refusal every way in answers
        assert unknown.status_code == 422 and unknown.json()["type"].endswith("/unknown-assignment")
        assert set(unknown.json()["known"]) == {"ex08", CONV}
        plain = _upload(bea, page)  # no field: the default, as before
        with sessions() as s:
            assert s.get(Submission, plain.headers["location"].rsplit("/", 1)[1]).assignment == "ex08"


def test_an_unknown_assignment_on_the_home_page_says_so(several, sessions):
    with student_client(several, sessions, "cem") as cem:
        r = cem.get("/student?assignment=ex99")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "There is no assignment <code>ex99</code> here" in r.text
    assert re.findall(r'<a href="/student\?assignment=([^"]+)"', r.text) == ["ex08", CONV]


def test_one_assignment_offers_no_choice(dash_settings, sessions):
    sid = add_graded(sessions, "dan", b"ok\n")
    with student_client(dash_settings, sessions, "dan") as dan:
        home = dan.get("/student").text
        report = dan.get(f"/student/submissions/{sid}").text
    assert 'id="assignment-choice"' not in home and _hidden_assignment(home) == "ex08" and sid in home
    assert 'id="report-assignment"' not in report and 'id="assignment-home"' not in report


def test_an_lti_session_shows_its_link_s_assignment_and_refuses_another(several, sessions, queue):
    with sessions() as s:
        token = create_token(session=s, student="eve")
        eve = authenticate(session=s, token=token)
        assert eve is not None
        ex08 = _queued(sessions, "eve", "ex08")
    app = create_app(several, queue=MemoryQueue())
    with TestClient(app) as client:
        response = Response()  # what /lti/launch leaves: a student session that names the link's assignment
        auth.start(response, several, role="student", sid=eve.id, token=digest(token), assignment=CONV)
        client.cookies.set(auth.COOKIE, response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1])
        home = client.get("/student").text
        assert 'id="assignment-choice"' not in home and _hidden_assignment(home) == CONV and ex08 not in home
        other = client.get("/student?assignment=ex08")
        assert other.status_code == 404 and "from your course's link for <b>cs231n_conv</b>" in other.text

        refused = _upload(client, home, assignment="ex08")
        assert refused.status_code == 422, refused.text
        body = refused.json()
        assert body["type"].endswith("/two-assignments") and body["title"] == "Two assignments"
        assert "`cs231n_conv`" in body["detail"] and "`ex08`" in body["detail"]
        for fields in ({"assignment": CONV}, {}):  # its own, or none: the session's
            r = _upload(client, home, **fields)
            assert r.status_code == 303, r.text
            with sessions() as s:
                assert s.get(Submission, r.headers["location"].rsplit("/", 1)[1]).assignment == CONV


def test_the_api_refuses_a_query_and_form_field_that_disagree_the_same_way(several, sessions):
    with sessions() as s:
        token = create_token(session=s, student="fin")
    with TestClient(create_app(several, queue=MemoryQueue())) as client:
        r = client.post("/api/v1/submissions", params={"assignment": "ex08"}, data={"assignment": CONV},
                        headers={"Authorization": f"Bearer {token}"}, files={"file": ("layers.py", RIGHT)})
    assert r.status_code == 422 and r.json()["type"].endswith("/two-assignments")
    assert r.json()["detail"] == f"the query names `ex08` and the form field `{CONV}`: send one"
