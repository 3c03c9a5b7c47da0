"""A course walked in headless Chromium: the schedule set on the dashboard, a late upload graded by the
real worker and penalised, the close refusing an upload, an extension reopening it, the gradebook's
filters and the CSV with a student who never submitted.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from service.db.migrate import upgrade
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.passwords import hash_password
from service.settings import Settings
from service.tokens import create_token
from tests.dashboard.live import RIGHT, live_service
from tests.dashboard.reports import add_graded
from tests.dashboard.test_browser import ARGS, _chromium

pytestmark = [pytest.mark.browser, pytest.mark.service, pytest.mark.slow]
PASSWORD = "course-walk-password"


@pytest.fixture(scope="module")
def service(tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("course")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    upgrade(url)
    settings = Settings(env="development", data_dir=tmp, database_url=url, redis_url=None, broker_url=None,
                        instructor_password=SecretStr(hash_password(PASSWORD)))
    with live_service(settings, redis_url, tmp / "worker.log", training=False) as running:
        yield running


@pytest.fixture
def browser_context(service):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield lambda: b.new_context(base_url=service[0], viewport={"width": 1280, "height": 900},
                                    accept_downloads=True)
        b.close()


def schedule(page, **fields: str) -> None:
    page.goto("/dashboard/schedule")
    for name in ("due_at", "closes_at", "late_penalty_per_day", "late_days_max"):
        page.fill(f"#{name}", fields.get(name, ""))
    page.click("#save-schedule")
    page.wait_for_selector("#saved, #confirm-close")
    if page.locator("#confirm-close").count():  # a close in the past asks first
        page.check("#confirm-close input[type=checkbox]")
        page.click("#save-schedule")
        page.wait_for_selector("#saved")


def upload(page, *, double: bool = False) -> None:
    page.goto("/student")
    page.set_input_files("#file", files=[{"name": "layers.py", "mimeType": "text/x-python", "buffer": RIGHT}])
    (page.dblclick if double else page.click)("#upload button[type=submit]")


def csv_rows(teacher) -> dict[str, dict[str, str]]:
    with teacher.expect_download() as dl:
        teacher.goto("/dashboard")
        teacher.click("#export-csv")
    return {r["student"]: r for r in csv.DictReader(io.StringIO(Path(dl.value.path()).read_text()))}


def graded_score(settings: Settings, sid: str) -> float:
    with session_factory(settings.database)() as s:
        row = s.get(Submission, sid)
        assert row is not None and row.status == "graded", row and row.error
        return float(json.loads(row.report)["score"])


def test_a_course_from_schedule_to_csv(browser_context, service):
    _, settings, _ = service
    now = datetime.now(UTC)
    sessions = session_factory(settings.database)
    with sessions() as s:
        late_token = create_token(session=s, student="lena")
        create_token(session=s, student="silas")  # never submits
    add_graded(sessions, "otto", RIGHT, received_at=now - timedelta(hours=3))  # on time (hand-made report)

    teacher = browser_context().new_page()
    teacher.goto("/dashboard/login")
    teacher.fill("input[name=password]", PASSWORD)
    teacher.click("button[type=submit]")
    teacher.wait_for_url("**/dashboard")
    due = (now - timedelta(hours=1)).replace(microsecond=0)
    schedule(teacher, due_at=due.isoformat(), late_penalty_per_day="0.5", late_days_max="1")
    assert teacher.inner_text("#effective-close") == f"{due + timedelta(days=1):%Y-%m-%d %H:%M} UTC"

    student = browser_context().new_page()
    student.goto("/student")
    student.fill("input[name=token]", late_token)
    student.click("form[action='/student/login'] button[type=submit]")
    assert "−50 % of the score per started day" in student.inner_text("#course")
    upload(student, double=True)  # an hour late: accepted, marked late, penalised; a double click is one
    student.wait_for_url("**/student/submissions/*")
    late_id = student.url.rsplit("/", 1)[-1]
    student.wait_for_selector("tr.test", timeout=60000)
    score = graded_score(settings, late_id)

    teacher.goto("/dashboard/gradebook?state=late")
    rows = teacher.locator("tr.gb-row")
    assert rows.count() == 1 and rows.first.get_attribute("data-student") == "lena"
    assert rows.first.locator("td.late").inner_text() == "1"
    assert rows.first.locator("td.grade").inner_text().startswith(f"{score * 0.5:g} / ")
    exported = csv_rows(teacher)["lena"]
    for path in ("/student", f"/student/submissions/{late_id}"):  # the number that counts, where the score is
        student.goto(path)
        line = student.inner_text("#grade-line")
        assert float(student.get_attribute("#grade-line", "data-grade")) == pytest.approx(float(exported["grade"]), abs=0.005)
        assert line.startswith(f"Score {score:g} / ") and "1 day late, −50 % →" in line and "counts" in line, line
    teacher.goto("/dashboard/gradebook")
    teacher.select_option("select[name=state]", "not_submitted")
    teacher.click("#gradebook-filters button[type=submit]")
    assert teacher.locator("tr.gb-row").evaluate_all("r => r.map(e => e.dataset.student)") == ["silas"]

    closed = (now - timedelta(minutes=1)).replace(microsecond=0)
    student.goto("/student")  # the form is open when the page loads; the close comes before the click
    student.set_input_files("#file", files=[{"name": "layers.py", "mimeType": "text/x-python", "buffer": RIGHT}])
    schedule(teacher, due_at=due.isoformat(), closes_at=closed.isoformat(), late_penalty_per_day="0.5")
    student.click("#upload button[type=submit]")
    student.wait_for_selector("#upload-error:not([hidden])")
    assert student.inner_text("#upload-error") == f"Submissions closed: ex08 closed at {closed.isoformat()}"
    student.reload()  # now the page says so, with the date, and offers no form to fill in vain
    assert student.inner_text("#closed").startswith(f"Uploads closed on {closed:%Y-%m-%d %H:%M} UTC")
    assert student.locator("#file").count() == 0

    teacher.goto("/dashboard/schedule")
    teacher.fill("#extension-form input[name=student]", "lena")
    teacher.fill("#extension-form input[name=due_at]", (now + timedelta(days=1)).replace(microsecond=0).isoformat())
    teacher.click("#extension-form button[type=submit]")
    teacher.wait_for_selector("#saved")
    upload(student)  # on time now: the latest counts, without penalty
    student.wait_for_url("**/student/submissions/*")
    on_time_id = student.url.rsplit("/", 1)[-1]
    student.wait_for_selector("tr.test", timeout=60000)
    assert on_time_id != late_id

    rows = csv_rows(teacher)
    assert list(rows) == ["lena", "otto", "silas"]
    assert (rows["lena"]["counted_submission"], rows["lena"]["late"]) == (on_time_id, "0")
    assert float(rows["lena"]["grade"]) == graded_score(settings, on_time_id)
    assert rows["otto"]["late"] == "0" and rows["silas"]["grade"] == "" and rows["silas"]["counted_submission"] == ""
    with sessions() as s:
        assert sorted(s.scalars(select(Submission.id).join(Student).where(Student.name == "lena"))) == \
            sorted([late_id, on_time_id])  # the double click made one submission, the refused upload none


def test_the_student_pages_fit_a_390_px_phone(browser_context, service):
    _, settings, _ = service
    sessions = session_factory(settings.database)
    with sessions() as s:
        token = create_token(session=s, student="phone")
    sid = add_graded(sessions, "phone", b"# canned: keep_convention\n")
    context = browser_context()
    page = context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/student")
    page.fill("input[name=token]", token)
    page.click("form[action='/student/login'] button[type=submit]")
    for path in ("/student", f"/student/submissions/{sid}"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
        for box in page.locator("pre.output, .hint").all():  # feedback and hints are not cut off
            assert box.evaluate("e => e.scrollWidth <= e.clientWidth"), (path, box.inner_text()[:80])
