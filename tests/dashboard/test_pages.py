"""Dashboard and student page over HTTP: auth, CSRF, the table, details, regrade, CSV, tokens, visibility."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from api.app import create_app
from service.db.models import Submission, Token
from service.passwords import check_password, hash_password
from service.tokens import create_token, digest
from tests.dashboard.pages import PASSWORD, RIGHT, WRONG, csrf_of, student_client
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue


def form_csrf(client, url="/dashboard/submissions") -> str:
    return csrf_of(client.get(url).text)


def test_password_hash_round_trip():
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$") and "horse" not in h
    assert check_password(h, "correct horse battery") and not check_password(h, "correct horse batterY")


def test_pages_need_login_and_a_wrong_password_is_refused(client):
    r = client.get("/dashboard/submissions", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    page = client.get("/dashboard/login")
    bad = client.post("/dashboard/login", data={"password": "nope", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 401 and "Wrong password" in bad.text
    assert client.get("/dashboard/export.csv", follow_redirects=False).status_code == 303


def test_login_without_csrf_token_is_refused(client):
    client.get("/dashboard/login")
    r = client.post("/dashboard/login", data={"password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.json()["title"]


def test_posts_without_csrf_are_refused_even_when_logged_in(instructor, sessions, queue):
    sid = add_graded(sessions, "alice", RIGHT)
    assert instructor.post(f"/dashboard/submissions/{sid}/regrade").status_code == 403
    assert instructor.post(f"/dashboard/submissions/{sid}/regrade",
                           data={"csrf_token": "forged"}).status_code == 403
    assert queue.sent == []


def test_table_filters_sorts_and_paginates(instructor, sessions):
    now = datetime.now(UTC)
    for i in range(30):
        add_graded(sessions, f"student{i:02d}", RIGHT if i % 3 else WRONG,
                   received_at=now - timedelta(hours=i))
    page1 = instructor.get("/dashboard/submissions").text
    assert "(30)" in page1 and "page 1 of 2" in page1 and page1.count('<tr class="status-graded"') == 25
    wrong = instructor.get("/dashboard/submissions", params={"max_score": 4}).text
    assert "(10)" in wrong and "student03" in wrong and "student01" not in wrong
    one = instructor.get("/dashboard/submissions", params={"student": "student07"}).text
    assert "(1)" in one and "student07" in one
    by_name = instructor.get("/dashboard/submissions", params={"sort": "student", "order": "asc"}).text
    assert by_name.index("student00") < by_name.index("student01")
    old = instructor.get("/dashboard/submissions",
                         params={"until": (now - timedelta(days=2)).date().isoformat()})
    assert "No submissions match" in old.text or "(0)" in old.text


def test_detail_shows_failing_test_hint_highlighted_source_and_curves(instructor, sessions):
    sid = add_graded(sessions, "bob", WRONG)
    html = instructor.get(f"/dashboard/submissions/{sid}").text
    assert "dropout_forward: train-mode scaling" in html and "keep_convention" in html
    assert "HIDDEN-DETAIL" in html  # instructors see hidden tests
    assert '<div class="source"' in html or 'class="source"' in html
    assert html.count('<polyline class="curve"') == 4  # 2 metrics x (reference, student)
    assert "train_loss per epoch" in html and "val_acc per epoch" in html


def test_regrade_requeues_through_the_upload_path(instructor, sessions, queue):
    sid = add_graded(sessions, "carol", RIGHT)
    r = instructor.post(f"/dashboard/submissions/{sid}/regrade", data={"csrf_token": form_csrf(instructor)},
                        follow_redirects=False)
    assert r.status_code == 303 and queue.sent == [sid]
    with sessions() as s:
        row = s.get(Submission, sid)
        assert row.status == "queued" and row.report is None and row.attempts == 1 and row.enqueued_at
    again = instructor.post(f"/dashboard/submissions/{sid}/regrade",
                            data={"csrf_token": form_csrf(instructor)})
    assert again.status_code == 409 and queue.sent == [sid]


def test_regrade_all_confirms_then_queues_latest_per_student(instructor, sessions, queue):
    add_graded(sessions, "dan", WRONG, received_at=datetime.now(UTC) - timedelta(days=1))
    newest = add_graded(sessions, "dan", RIGHT)
    other = add_graded(sessions, "erin", RIGHT)
    confirm = instructor.get("/dashboard/regrade-all")
    assert 'id="regrade-count">2<' in confirm.text and queue.sent == []
    instructor.post("/dashboard/regrade-all",
                    data={"csrf_token": csrf_of(confirm.text), "assignment": "ex08"})
    assert sorted(queue.sent) == sorted([newest, other])


def test_csv_has_one_row_per_student_with_the_counted_grade_and_each_test(instructor, sessions):
    t0 = datetime.now(UTC) - timedelta(days=1)
    add_graded(sessions, "frank", RIGHT, received_at=t0)
    latest = add_graded(sessions, "frank", WRONG, received_at=t0 + timedelta(hours=1))
    add_graded(sessions, "gina", WRONG)
    with sessions() as s:
        create_token(session=s, student="hal")  # never submitted
    r = instructor.get("/dashboard/export.csv?assignment=ex08")
    assert r.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(r.text))
    assert reader.fieldnames == ["student", "grade", "max_score", "counted_submission", "late",
                                 "batchnorm_forward: train-mode output",
                                 "dropout_forward: train-mode scaling",
                                 "batchnorm_backward: hidden gradient check",
                                 "training: network trains with your layers"]
    rows = {row["student"]: row for row in reader}
    assert list(rows) == ["frank", "gina", "hal"]
    assert rows["frank"]["grade"] == "4" and rows["frank"]["counted_submission"] == latest  # latest counts
    assert rows["frank"]["max_score"] == "6" and rows["frank"]["late"] == "0"
    assert rows["frank"]["dropout_forward: train-mode scaling"] == "0"
    assert rows["frank"]["batchnorm_forward: train-mode output"] == "2"
    assert rows["hal"]["grade"] == "" and rows["hal"]["counted_submission"] == ""


def test_overview_charts_and_hints_link_to_the_students(instructor, sessions):
    add_graded(sessions, "h1", WRONG)
    add_graded(sessions, "h2", WRONG)
    add_graded(sessions, "h3", RIGHT)
    html = instructor.get("/dashboard").text
    assert "<b>3</b> students" in html
    assert '<a href="/dashboard/gradebook?assignment=ex08&hint=keep_convention">2</a>' in html
    assert "<td>dropout_forward: train-mode scaling</td><td class=\"num\">33%</td>" in html
    assert 'href="/dashboard/gradebook?assignment=ex08&test=2">students failing it' in html


def test_live_json_counts(instructor, sessions):
    add_graded(sessions, "i1", RIGHT)
    live = instructor.get("/dashboard/live.json").json()
    assert live["counts"] == {"graded": 1} and live["queue"]["ok"] is False  # no Redis in this test


def test_token_create_and_revoke_end_the_students_session(instructor, client, sessions, dash_settings):
    r = instructor.post("/dashboard/students/tokens",
                        data={"student": "jo", "csrf_token": form_csrf(instructor)})
    token = re.search(r'id="new-token" value="([^"]+)"', r.text).group(1)
    link = re.search(r'id="new-link" value="([^"]+)"', r.text).group(1)
    assert token not in link
    with TestClient(create_app(dash_settings, queue=MemoryQueue())) as student:
        parts = urlsplit(link)  # the one-time code is after '#': the page's button POSTs it
        page = student.get(parts.path)
        student.post("/student/signin", data={"code": parts.fragment, "csrf_token": csrf_of(page.text)})
        assert "Hello jo" in student.get("/student").text
        with sessions() as s:
            tid = s.query(Token).filter_by(token_sha256=digest(token)).one().id
        instructor.post(f"/dashboard/tokens/{tid}/revoke",
                        data={"csrf_token": form_csrf(instructor, "/dashboard/students")})
        assert "Your token" in student.get("/student").text  # signed out: the login form again


def test_student_sees_only_own_submissions_and_no_hidden_details(dash_settings, sessions):
    with student_client(dash_settings, sessions, "kim") as kim:
        mine = add_graded(sessions, "kim", WRONG)
        theirs = add_graded(sessions, "lee", RIGHT)
        html = kim.get(f"/student/submissions/{mine}").text
        assert "dropout_forward: train-mode scaling" in html and "keep_convention" in html
        assert "HIDDEN-DETAIL" not in html and "hidden gradient check" not in html
        assert "3 / 5" in html and "1 hidden test" in html  # visible score only, 6 with the hidden test
        assert kim.get(f"/student/submissions/{theirs}").status_code == 404
        assert kim.get(f"/student/submissions/{theirs}/events").status_code == 404


def test_hidden_tests_show_after_the_release_date(dash_settings, sessions):
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    released = dash_settings.model_copy(update={"hidden_tests_release_at": an_hour_ago})
    with student_client(released, sessions, "max") as c:
        sid = add_graded(sessions, "max", RIGHT)
        html = c.get(f"/student/submissions/{sid}").text
        assert "HIDDEN-DETAIL" in html and "6 / 6" in html


def test_student_upload_needs_csrf_and_creates_a_queued_submission(dash_settings, sessions):
    with student_client(dash_settings, sessions, "ned") as c:
        files = {"file": ("layers.py", RIGHT)}
        assert c.post("/student/upload", files=files).status_code == 403
        r = c.post("/student/upload", files=files, data={"csrf_token": csrf_of(c.get("/student").text)},
                   headers={"Accept": "application/json"})
        assert r.status_code == 202
        with sessions() as s:
            assert s.get(Submission, r.json()["id"]).status == "queued"
        bad = c.post("/student/upload", files={"file": ("layers.py", b"def f(:\n")},
                     data={"csrf_token": csrf_of(c.get("/student").text)})
        assert bad.status_code == 422 and bad.json()["title"] == "Syntax error"
