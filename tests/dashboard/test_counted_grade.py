"""The grade that counts, shown to the student wherever the score is: the same number as the gradebook's and
the CSV's ("6 / 6, 2 days late, −20 % → 4.8 counts"), and not while hidden tests still hide points."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from tests.dashboard.reports import add_graded
from tests.dashboard.test_gradebook import NOW, set_schedule
from tests.dashboard.test_pages import student_client


@pytest.fixture
def released(dash_settings):
    return dash_settings.model_copy(update={"hidden_tests_release_at": NOW - timedelta(days=1)})


def grade_line(html: str) -> tuple[str, str]:
    found = re.search(r'<p class="counts" id="grade-line" data-grade="([^"]+)">(.*?)</p>', html, re.S)
    assert found, "no grade line"
    return found.group(1), " ".join(re.sub(r"<[^>]+>", "", found.group(2)).split())


def test_the_late_penalised_counted_grade_is_the_csvs_on_every_page(instructor, released, sessions):
    set_schedule(instructor, due_at=(NOW - timedelta(hours=30)).isoformat(), late_penalty_per_day="0.1",
                 late_days_max="5")
    early = add_graded(sessions, "lou", b"# canned: keep_convention\n", received_at=NOW - timedelta(days=3))
    late = add_graded(sessions, "lou", b"ok\n")  # 30 h after the due date: 2 started days, -20 %
    exported = {r["student"]: r for r in csv.DictReader(io.StringIO(
        instructor.get("/dashboard/export.csv?assignment=ex08").text))}["lou"]
    assert exported["grade"] == "4.8" and exported["counted_submission"] == late

    with student_client(released, sessions, "lou") as lou:
        for path in ("/student", f"/student/submissions/{late}"):
            grade, words = grade_line(lou.get(path).text)
            assert grade == exported["grade"] and words == "Score 6 / 6, 2 days late, −20 % → 4.8 counts", path
        grade, words = grade_line(lou.get(f"/student/submissions/{early}").text)  # on time, but not the latest
        assert words == "Score 4 / 6, on time → 4 does not count: your counted upload does"
    grade, words = grade_line(instructor.get(f"/dashboard/submissions/{late}").text)
    assert grade == "4.8" and "2 days late, −20 % → 4.8 counts" in words


def test_no_counted_grade_while_hidden_tests_hide_points(instructor, dash_settings, sessions):
    sid = add_graded(sessions, "hal", b"ok\n")
    with student_client(dash_settings, sessions, "hal") as hal:
        for path in ("/student", f"/student/submissions/{sid}"):
            assert 'id="grade-line"' not in hal.get(path).text, path
