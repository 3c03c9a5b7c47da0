"""Forms that talk back: each dashboard form refused field by field, as HTML, with what was typed kept (422);
a close before the due date refused, a close in the past confirmed first; a reload never repeats an action."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from service.db.models import Token
from tests.dashboard.test_gradebook import NOW, csrf_of


def post(instructor, url: str, page: str, **fields):
    return instructor.post(url, data={"csrf_token": csrf_of(instructor.get(page).text), **fields},
                           follow_redirects=False)


def error_of(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no message beside {field}"
    return unescape(found.group(1))


def schedule(instructor, **fields):
    form = {"assignment": "ex08", "due_at": "", "closes_at": "", "late_penalty_per_day": "",
            "late_days_max": "", "counted": "latest", **fields}
    return post(instructor, "/dashboard/schedule", "/dashboard/schedule", **form)


def test_the_schedule_form_says_what_is_wrong_beside_each_field_and_keeps_it(instructor):
    r = schedule(instructor, due_at="yesterday noon", late_penalty_per_day="10", late_days_max="two")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "is not a date and time" in error_of(r.text, "due_at") and 'value="yesterday noon"' in r.text
    assert "more than the whole score" in error_of(r.text, "late_penalty_per_day") and 'value="10"' in r.text
    assert "whole number of days" in error_of(r.text, "late_days_max") and 'value="two"' in r.text
    assert 'aria-invalid="true"' in r.text and "3 fields to fix" in r.text


def test_a_penalty_in_percent_and_a_date_as_the_pages_write_it_are_understood(instructor):
    due = (NOW + timedelta(days=1)).replace(second=0, microsecond=0)
    assert schedule(instructor, due_at=f"{due:%Y-%m-%d %H:%M} UTC", late_penalty_per_day="10 %").status_code == 303
    page = instructor.get("/dashboard/schedule").text
    assert 'value="0.1"' in page and f'value="{due:%Y-%m-%d %H:%M} UTC"' in page  # as the pages write dates


def test_a_close_before_the_due_date_is_refused(instructor):
    due = NOW + timedelta(days=2)
    r = schedule(instructor, due_at=due.isoformat(), closes_at=(due - timedelta(hours=1)).isoformat())
    assert r.status_code == 422 and "before the due date" in error_of(r.text, "closes_at")


def test_a_close_in_the_past_asks_first(instructor):
    r = schedule(instructor, due_at=(NOW - timedelta(days=1)).isoformat())  # no late policy: closes at the due date
    assert r.status_code == 422 and 'id="confirm-close"' in r.text and "students can no longer upload" in r.text
    assert 'id="saved"' not in instructor.get("/dashboard/schedule").text  # nothing saved yet
    r = schedule(instructor, due_at=(NOW - timedelta(days=1)).isoformat(), confirm_past_close="1")
    assert r.status_code == 303 and r.headers["location"].endswith("saved=1")
    r = schedule(instructor, due_at=(NOW - timedelta(days=1)).isoformat(), counted="best")
    assert r.status_code == 303  # closed already: saving again asks nothing


def test_an_extension_for_an_unknown_student_is_refused_in_place(instructor, sessions):
    from tests.dashboard.reports import add_graded

    add_graded(sessions, "dave", b"ok\n")
    r = post(instructor, "/dashboard/extensions", "/dashboard/schedule", assignment="ex08", student="davd",
             due_at="next week")
    assert r.status_code == 422
    assert error_of(r.text, "ext-student") == "No student is named `davd`. Did you mean dave?"
    assert "is not a date and time" in error_of(r.text, "ext-due_at")
    assert 'value="davd"' in r.text and 'value="next week"' in r.text


def test_a_token_needs_a_name_and_a_reload_does_not_make_a_second_one(instructor, sessions):
    r = post(instructor, "/dashboard/students/tokens", "/dashboard/students", student="  ")
    assert r.status_code == 422 and "Type the student's name" in error_of(r.text, "new-student")
    r = post(instructor, "/dashboard/students/tokens", "/dashboard/students", student="dave")
    assert r.status_code == 200 and 'id="new-token"' in r.text
    after = re.search(r'data-after="([^"]+)"', r.text).group(1)  # where the page's address goes (a GET)
    with sessions() as s:
        assert s.query(Token).count() == 1
    again = instructor.get(after)
    assert again.status_code == 200 and 'id="new-token"' not in again.text and "/student/signin#" in again.text
    with sessions() as s:
        assert s.query(Token).count() == 1


def test_a_sign_in_link_for_an_existing_student(instructor, sessions):
    from tests.dashboard.reports import add_graded

    add_graded(sessions, "erin", b"ok\n")
    students = instructor.get("/dashboard/students").text
    link = re.search(r'href="(/dashboard/students/\d+/sign-in)"', students).group(1)
    page = instructor.get(link).text
    assert "Sign-in for erin" in page and "/student/signin#" in page and 'data-copy-from="new-link"' in page


def test_an_lti_platform_form_keeps_what_was_typed(instructor):
    r = post(instructor, "/dashboard/lti", "/dashboard/lti", name="moodle", issuer="https://moodle.example",
             client_id="", deployment_ids="1", auth_login_url="not a url", auth_token_url="", key_set_url="")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert error_of(r.text, "lti-client_id") == "Required." and 'value="https://moodle.example"' in r.text
    assert 'value="not a url"' in r.text
