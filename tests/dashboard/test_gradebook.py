"""The course over HTTP: the schedule form, the close on every way in, extensions, the gradebook's filters."""
# ruff: noqa: F811 - the fixtures are imported from test_pages and used as arguments

from __future__ import annotations

import base64
import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from api.app import create_app
from service.db.models import Student, Submission
from service.lms import signing
from service.tokens import create_token
from tests.dashboard.reports import add_graded
from tests.dashboard.test_pages import (  # noqa: F401 - fixtures
    PASSWORD,
    RIGHT,
    WRONG,
    client,
    csrf_of,
    dash_settings,
    instructor,
    queue,
    sessions,
    student_client,
)
from tests.doubles import MemoryQueue

NOW = datetime.now(UTC)


def set_schedule(instructor, **fields) -> None:
    page = instructor.get("/dashboard/schedule")
    form = {"csrf_token": csrf_of(page.text), "assignment": "ex08", "due_at": "", "closes_at": "",
            "late_penalty_per_day": "", "late_days_max": "", "counted": "latest", "confirm_past_close": "1", **fields}
    r = instructor.post("/dashboard/schedule", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text


def csv_rows(instructor) -> dict[str, dict[str, str]]:
    r = instructor.get("/dashboard/export.csv?assignment=ex08")
    return {row["student"]: row for row in csv.DictReader(io.StringIO(r.text))}


def test_a_late_submission_is_penalised_in_the_csv_and_marked_in_the_gradebook(instructor, sessions):
    add_graded(sessions, "ontime", RIGHT, received_at=NOW - timedelta(days=3))
    add_graded(sessions, "late", RIGHT, received_at=NOW - timedelta(days=1, hours=12))  # 2 started days late
    assert csv_rows(instructor)["late"]["grade"] == "6"  # no schedule: no deadline
    set_schedule(instructor, due_at=(NOW - timedelta(days=3, hours=-1)).isoformat(), late_penalty_per_day="0.25",
                 late_days_max="5")
    rows = csv_rows(instructor)
    assert (rows["late"]["grade"], rows["late"]["late"]) == ("3", "2")  # 6 x (1 - 0.25 x 2)
    assert (rows["ontime"]["grade"], rows["ontime"]["late"]) == ("6", "0")
    late_only = instructor.get("/dashboard/gradebook", params={"state": "late"}).text
    assert 'data-student="late"' in late_only and 'data-student="ontime"' not in late_only


def test_after_the_close_every_way_in_is_refused_with_403(instructor, dash_settings, sessions):
    closed = (NOW - timedelta(hours=1)).isoformat()
    set_schedule(instructor, due_at=(NOW - timedelta(days=1)).isoformat(), closes_at=closed)
    with sessions() as s:
        token = create_token(session=s, student="api-user")
    api = instructor.post("/api/v1/submissions", files={"file": ("layers.py", RIGHT)},
                          headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["closed_at"] == datetime.fromisoformat(closed).isoformat()
    assert "closed at" in api.json()["detail"]
    with student_client(dash_settings, sessions, "page-user") as c:
        r = c.post("/student/upload", files={"file": ("layers.py", RIGHT)},
                   data={"csrf_token": csrf_of(c.get("/student").text)})
        assert r.status_code == 403 and r.json()["title"] == "Submissions closed"
    lms = dash_settings.model_copy(update={"lms_secrets": {"moodle": SecretStr("s" * 32)},
                                           "lms_callback_hosts": "127.0.0.1"})
    raw = json.dumps({"course_id": "c", "assignment_id": "ex08", "student_id": "u1", "external_submission_id": "e1",
                      "file_base64": base64.b64encode(RIGHT).decode(),
                      "callback_url": "http://127.0.0.1:9/grades"}).encode()
    with TestClient(create_app(lms, queue=MemoryQueue())) as c:
        r = c.post("/api/v1/lms/submissions", content=raw,
                   headers={"Content-Type": "application/json", **signing.sign("s" * 32, raw, integration="moodle")})
        assert r.status_code == 403 and r.json()["type"].endswith("/closed")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


def test_an_extension_lets_one_student_submit_after_the_close(instructor, dash_settings, sessions):
    set_schedule(instructor, due_at=(NOW - timedelta(hours=2)).isoformat())  # no late policy: closed when due
    with student_client(dash_settings, sessions, "ext") as c:
        upload = {"files": {"file": ("layers.py", RIGHT)}, "headers": {"Accept": "application/json"}}
        assert c.post("/student/upload", data={"csrf_token": csrf_of(c.get("/student").text)},
                      **upload).status_code == 403
        page = instructor.get("/dashboard/schedule")
        r = instructor.post("/dashboard/extensions", data={
            "csrf_token": csrf_of(page.text), "assignment": "ex08", "student": "ext",
            "due_at": (NOW + timedelta(days=1)).isoformat()}, follow_redirects=False)
        assert r.status_code == 303
        assert '<tr><td>ext</td>' in instructor.get("/dashboard/schedule").text.split('id="extensions"')[1]
        row = instructor.get("/dashboard/gradebook").text.split('data-student="ext"')[1].split("</tr>")[0]
        assert 'class="badge extension">extension: due' in row  # marked in the gradebook too
        assert c.post("/student/upload", data={"csrf_token": csrf_of(c.get("/student").text)},
                      **upload).status_code == 202


def test_counted_best_is_chosen_on_the_dashboard(instructor, sessions):
    best = add_graded(sessions, "bo", RIGHT, received_at=NOW - timedelta(hours=2))
    latest = add_graded(sessions, "bo", WRONG, received_at=NOW - timedelta(hours=1))
    assert csv_rows(instructor)["bo"]["counted_submission"] == latest
    set_schedule(instructor, counted="best")
    assert csv_rows(instructor)["bo"]["counted_submission"] == best
    assert 'id="effective-close">never<' in instructor.get("/dashboard/schedule").text


def test_an_invalid_schedule_is_refused(instructor):
    page = instructor.get("/dashboard/schedule")
    r = instructor.post("/dashboard/schedule", data={"csrf_token": csrf_of(page.text), "assignment": "ex08",
                                                     "late_penalty_per_day": "2", "counted": "latest"})
    assert r.status_code == 422 and 'id="late_penalty_per_day-error"' in r.text and 'value="2"' in r.text


def test_gradebook_lists_every_student_and_filters(instructor, sessions):
    add_graded(sessions, "failer", WRONG)
    add_graded(sessions, "passer", RIGHT)
    with sessions() as s:
        create_token(session=s, student="silent")
    everyone = instructor.get("/dashboard/gradebook").text
    assert 'id="gradebook-total">3<' in everyone
    assert everyone.index('data-student="failer"') < everyone.index('data-student="passer"') \
        < everyone.index('data-student="silent"')
    assert 'class="gb-row not-submitted" data-student="silent"' in everyone
    missing = instructor.get("/dashboard/gradebook", params={"state": "not_submitted"}).text
    assert 'id="gradebook-total">1<' in missing and 'data-student="silent"' in missing
    failing = instructor.get("/dashboard/gradebook", params={"test": "2"}).text
    assert 'id="gradebook-total">1<' in failing and 'data-student="failer"' in failing
    hinted = instructor.get("/dashboard/gradebook", params={"hint": "keep_convention"}).text
    assert 'data-student="failer"' in hinted and 'data-student="passer"' not in hinted
    assert '<option value="keep_convention" selected>Keep convention</option>' in hinted
    by_grade = instructor.get("/dashboard/gradebook", params={"sort": "grade", "order": "desc"}).text
    assert by_grade.index('data-student="passer"') < by_grade.index('data-student="failer"') \
        < by_grade.index('data-student="silent"')  # no grade: last


@pytest.mark.parametrize("path", ["/dashboard/gradebook", "/dashboard/students"])
def test_long_lists_are_paginated(instructor, sessions, path):
    with sessions() as s:
        for i in range(55):
            create_token(session=s, student=f"s{i:02d}")
    def listed(page: int) -> str:  # the students' list (the students page has the tokens' own list below)
        return instructor.get(path, params={"page": page}).text.split('id="tokens"')[0]
    first, second = listed(1), listed(2)
    assert "page 1 of 2" in first and ">s49<" in first and ">s50<" not in first
    assert ">s50<" in second and ">s54<" in second and ">s00<" not in second


def test_the_student_sees_the_due_date_time_left_and_what_counts(instructor, dash_settings, sessions):
    set_schedule(instructor, due_at=(NOW + timedelta(days=2, hours=3, minutes=30)).isoformat(),
                 late_penalty_per_day="0.1", late_days_max="2")
    with student_client(dash_settings, sessions, "stu") as c:
        home = c.get("/student").text
        assert "2 days 3 h left" in home and "−10 % of the score per started day" in home
        assert "Your latest graded upload counts." in home and 'id="counted-link"' not in home
        best = add_graded(sessions, "stu", RIGHT, received_at=NOW - timedelta(hours=2))
        add_graded(sessions, "stu", WRONG, received_at=NOW - timedelta(hours=1))
        home = c.get("/student").text
        assert 'id="replace-warning">An earlier upload of yours scored higher' in home
        set_schedule(instructor, due_at=(NOW - timedelta(days=3)).isoformat(), counted="best")
        home = c.get("/student").text
        assert f'href="/student/submissions/{best}" id="counted-link"' in home
        assert "Your best graded upload counts" in home and 'id="closed"><b>Uploads closed on' in home
        assert 'id="upload"' not in home and 'name="file"' not in home  # no form to fill in vain


def test_the_report_page_knows_how_many_tests_progress_counts_to(dash_settings, sessions):
    from grader.assignments import load

    with student_client(dash_settings, sessions, "prog") as c:
        r = c.post("/student/upload", files={"file": ("layers.py", RIGHT)},
                   data={"csrf_token": csrf_of(c.get("/student").text)}, headers={"Accept": "application/json"})
        page = c.get(r.json()["url"]).text
        assert 'data-status="queued"' in page and f'data-total="{len(load("ex08").tests)}"' in page


def test_pass_rates_and_hints_count_only_the_counted_submission(instructor, sessions):
    add_graded(sessions, "fixer", WRONG, received_at=NOW - timedelta(hours=2))
    add_graded(sessions, "fixer", RIGHT, received_at=NOW - timedelta(hours=1))  # latest: fixed
    add_graded(sessions, "stuck", WRONG)
    html = instructor.get("/dashboard").text
    assert "<td>dropout_forward: train-mode scaling</td><td class=\"num\">50%</td>" in html
    assert '<a href="/dashboard/gradebook?assignment=ex08&hint=keep_convention">1</a>' in html
    hinted = instructor.get("/dashboard/gradebook", params={"hint": "keep_convention"}).text
    assert 'data-student="stuck"' in hinted and 'data-student="fixer"' not in hinted


def test_signed_in_pages_are_not_cached(instructor, client, dash_settings, sessions):
    for path in ("/dashboard", "/dashboard/gradebook", "/dashboard/students", "/dashboard/export.csv"):
        assert instructor.get(path).headers["cache-control"] == "no-store", path
    with TestClient(create_app(dash_settings, queue=MemoryQueue())) as anonymous:
        assert "cache-control" not in anonymous.get("/dashboard/login").headers
    with student_client(dash_settings, sessions, "cached") as c:
        assert c.get("/student").headers["cache-control"] == "no-store"


def test_the_upload_forms_key_makes_a_double_click_one_submission(dash_settings, sessions):
    with student_client(dash_settings, sessions, "dbl") as c:
        form = {"files": {"file": ("layers.py", RIGHT)}, "data": {"csrf_token": csrf_of(c.get("/student").text)},
                "headers": {"Accept": "application/json", "Idempotency-Key": "k-1"}}
        first, second = c.post("/student/upload", **form), c.post("/student/upload", **form)
        assert first.status_code == 202 and second.json()["id"] == first.json()["id"]
        other = c.post("/student/upload", **{**form, "headers": {**form["headers"], "Idempotency-Key": "k-2"}})
        assert other.json()["id"] != first.json()["id"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 2


def test_a_students_page_for_tas_has_every_attempt_and_a_diff(instructor, sessions):
    first = add_graded(sessions, "tia", WRONG, received_at=NOW - timedelta(hours=2))
    second = add_graded(sessions, "tia", RIGHT, received_at=NOW - timedelta(hours=1))
    add_graded(sessions, "other", RIGHT)
    book = instructor.get("/dashboard/gradebook").text
    link = re.search(r'href="(/dashboard/students/\d+\?assignment=ex08)">tia<', book).group(1)
    page = instructor.get(link).text
    assert page.count('<tr class="attempt"') == 2 and page.index(f'data-id="{first}"') < page.index(f'data-id="{second}"')
    assert "4 / 6" in page and "6 / 6" in page and "Score per upload" in page
    diff = instructor.get(link, params={"a": first, "b": second}).text
    assert 'id="diff"' in diff and "canned: keep_convention" in diff and "dropout_forward" in diff
    with sessions() as s:
        theirs = s.scalar(select(Submission.id).join(Student).where(Student.name == "other"))
    assert instructor.get(link, params={"a": first, "b": theirs}).status_code == 404


def test_the_students_report_opens_with_a_summary_of_visible_tests(dash_settings, sessions):
    with student_client(dash_settings, sessions, "sum") as c:
        sid = add_graded(sessions, "sum", WRONG)
        html = c.get(f"/student/submissions/{sid}").text
        assert '<b id="passed-count">2 of 3</b> tests that carry points passed' in html and "(and 1 hidden)" in html
        areas = re.findall(r'<tr><td>(\w+)</td><td class="num">([\d.]+ / [\d.]+)</td></tr>', html)
        assert areas == [("batchnorm_forward", "2 / 2"), ("dropout_forward", "0 / 2"), ("training", "1 / 1")]
        assert 'Failed: <a href="#test-2">dropout_forward: train-mode scaling</a>' in html
        assert 'id="test-2"' in html and "batchnorm_backward" not in html.split('id="summary"')[1].split("</section>")[0]


def test_a_signed_out_student_signs_in_and_lands_on_the_report_asked_for(dash_settings, sessions):
    with sessions() as s:
        token = create_token(session=s, student="bm")
    sid = add_graded(sessions, "bm", RIGHT)
    with TestClient(create_app(dash_settings, queue=MemoryQueue())) as c:
        r = c.get(f"/student/submissions/{sid}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/student?next=/student/submissions/{sid}"
        page = c.get(r.headers["location"])
        assert f'name="next" value="/student/submissions/{sid}"' in page.text
        back = c.post("/student/login", data={"token": token, "csrf_token": csrf_of(page.text),
                                              "next": f"/student/submissions/{sid}"}, follow_redirects=False)
        assert back.headers["location"] == f"/student/submissions/{sid}"
        missing = c.get("/student/submissions/nope")
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert 'id="missing"' in missing.text
        elsewhere = c.post("/student/login", data={"token": token, "csrf_token": csrf_of(c.get("/student").text),
                                                   "next": "https://evil.example/"}, follow_redirects=False)
        assert elsewhere.headers["location"] == "/student"


def test_a_file_not_ending_in_py_is_refused_with_a_clear_message(instructor, dash_settings, sessions):
    with student_client(dash_settings, sessions, "txt") as c:
        r = c.post("/student/upload", files={"file": ("layers.txt", RIGHT)},
                   data={"csrf_token": csrf_of(c.get("/student").text)}, headers={"Accept": "application/json"})
        assert r.status_code == 422 and r.json()["title"] == "Not a Python file"
        assert "`layers.txt` does not end in .py" in r.json()["detail"]
    with sessions() as s:
        token = create_token(session=s, student="txt-api")
    api = instructor.post("/api/v1/submissions", files={"file": ("layers.txt", RIGHT)},
                          headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 422 and api.json()["type"].endswith("/filename")
    ok = instructor.post("/api/v1/submissions", files={"file": ("Layers.PY", RIGHT)},
                         headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 202


def test_a_database_from_revision_0002_shows_its_old_grades_after_the_upgrade(tmp_path, dash_settings):
    from sqlalchemy import create_engine, text

    from service.db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0002")
    report = {"score": 5, "max_score": 6, "tests": [
        {"name": "a", "number": "1", "score": 2, "max_score": 2, "status": "passed", "hint": ""},
        {"name": "b", "number": "2", "score": 3, "max_score": 4, "status": "failed", "hint": "keep_convention"}]}
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO students (id, name, is_instructor, created_at) VALUES (1, 'veteran', 0, :t)"),
                  {"t": NOW})
        c.execute(text("INSERT INTO submissions (id, student_id, assignment, filename, content, sha256, seed, status, "
                       "received_at, attempts, report, score, max_score) VALUES ('old1', 1, 'ex08', 'layers.py', "
                       "x'00', '0', 1, 'graded', :t, 1, :r, 5, 6)"), {"t": NOW, "r": json.dumps(report)})
    engine.dispose()
    upgrade(url)  # what the app does at start
    settings = dash_settings.model_copy(update={"database_url": url})
    with TestClient(create_app(settings, queue=MemoryQueue())) as c:
        page = c.get("/dashboard/login")
        c.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": csrf_of(page.text)})
        rows = list(csv.DictReader(io.StringIO(c.get("/dashboard/export.csv").text)))
        assert rows == [{"student": "veteran", "grade": "5", "max_score": "6", "counted_submission": "old1",
                         "late": "0", "a": "2", "b": "3"}]
        overview = c.get("/dashboard").text
        assert '<a href="/dashboard/gradebook?assignment=ex08&hint=keep_convention">1</a>' in overview


def test_a_schedule_or_extension_change_sends_the_lms_the_new_counted_grade(instructor, sessions, queue,
                                                                            dash_settings):
    from service.db.lms_models import LmsDelivery, LmsLink
    from service.lms import delivery

    sid = add_graded(sessions, "moodle:u9", RIGHT, received_at=NOW - timedelta(hours=30))
    add_graded(sessions, "local", RIGHT, received_at=NOW - timedelta(hours=30))  # not from an LMS: nothing sent
    with sessions() as s:
        s.add(LmsLink(integration="moodle", course_id="c", assignment_id="ex08", student_id="u9",
                      external_submission_id="x9", submission_id=sid, callback_url="http://127.0.0.1:9/g"))
        s.commit()
    set_schedule(instructor, due_at=(NOW - timedelta(days=2)).isoformat(), late_penalty_per_day="0.25",
                 late_days_max="5")  # 6 x (1 - 0.25 x 1)
    [first] = queue.deliveries
    set_schedule(instructor, due_at=(NOW - timedelta(days=2)).isoformat(), late_penalty_per_day="0.25",
                 late_days_max="5")  # the same again: no change, nothing sent
    assert queue.deliveries == [first]
    with sessions() as s:
        d = s.get(LmsDelivery, first)
        body = delivery.payload(s, d, s.get(LmsLink, d.link_id), dash_settings)
        assert (body["event"], body["grade"], body["late_days"], d.grade_attempt) == ("grade.changed", 4.5, 1, -1)
    page = instructor.get("/dashboard/schedule")
    instructor.post("/dashboard/extensions", data={"csrf_token": csrf_of(page.text), "assignment": "ex08",
                                                   "student": "moodle:u9", "due_at": NOW.isoformat()})
    assert len(queue.deliveries) == 2
    with sessions() as s:
        d = s.get(LmsDelivery, queue.deliveries[1])
        assert d.grade_attempt == -2 and delivery.payload(s, d, s.get(LmsLink, d.link_id), dash_settings)["grade"] == 6


def test_the_student_sees_the_hint_as_a_title_once(dash_settings, sessions):
    with student_client(dash_settings, sessions, "hinted") as c:
        sid = add_graded(sessions, "hinted", WRONG)
        html = c.get(f"/student/submissions/{sid}").text
        assert '<p class="hint" data-hint="keep_convention">Recognised mistake: <b>Keep convention</b>' in html
        assert html.count("<b>Keep convention</b>") == 2  # the mistake above, and the test it cost
        assert 'id="mistake-keep_convention"' in html and "Hint: <code>" not in html


def test_the_attempts_list_shows_each_visible_score_and_their_history(dash_settings, sessions):
    with student_client(dash_settings, sessions, "hist") as c:
        add_graded(sessions, "hist", WRONG, received_at=NOW - timedelta(hours=2))
        add_graded(sessions, "hist", RIGHT, received_at=NOW - timedelta(hours=1))
        html = c.get("/student").text
        cells = re.findall(r'<td class="num">([^<]*)</td></tr>', html.split('id="attempts"')[1])
        assert cells == ["5 / 5", "3 / 5"]  # newest first; the hidden test's point counts in neither
        assert 'id="score-history"' in html and "Your score per upload (visible tests)" in html
        assert "see report" not in html
