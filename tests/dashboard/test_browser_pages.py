"""Every student and instructor page in headless Chromium at 1280 and 390 px: no horizontal overflow of the
page, no serious or critical axe-core violation (tests/dashboard/a11y.py), and what a new user trips on.

No worker: the course is seeded with hand-made reports (tests/dashboard/reports.py), one of them a file
that cannot be imported; the live path (held -> graded) is walked with the real worker in test_browser.py.
The tool trusts a simulated LTI platform (tests/lti/simulator.py), so the deep-linking picker is reached by a
real launch; /docs is the vendored Swagger UI.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from service import grades, report_links, schedule
from service.db.migrate import upgrade
from service.db.models import Student, Submission, Token
from service.db.session import session_factory
from service.db.similarity_models import SimilarityPair, SimilarityRun
from service.lti.keys import generate_pem
from service.passwords import hash_password
from service.schedule import Schedule
from service.settings import Settings
from service.tokens import create_token
from tests.dashboard.a11y import WIDTHS, assert_fits_and_accessible
from tests.dashboard.live import uvicorn_server
from tests.dashboard.reports import IMPORT_ERROR, add_graded
from tests.doubles import MemoryQueue
from tests.http_server import free_port
from tests.lti.simulator import Platform, login_params

pytestmark = [pytest.mark.browser]
PASSWORD = "walk-every-page"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The app on a free port, over a course of two exercises (ex08, cs231n_conv: the student page offers the
    choice): alice full marks, bob late (penalised) and one cs231n_conv upload, carl's file does not import,
    erin's upload waits behind her first, dora never submitted."""
    from api.app import create_app

    tmp = tmp_path_factory.mktemp("walk")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    upgrade(url)
    port = free_port()
    tool = f"http://127.0.0.1:{port}"
    platform = Platform(launch_url=f"{tool}/lti/launch",
                        tool_jwks=lambda: httpx.get(f"{tool}/lti/jwks", timeout=5).json()).start()
    settings = Settings(env="development", data_dir=tmp, database_url=url, redis_url=None, broker_url=None,
                        instructor_password=SecretStr(hash_password(PASSWORD)), port=port,
                        public_base_url=tool, lti_platforms=[platform.registration()],
                        lti_private_key=SecretStr(generate_pem()), assignments="ex08,cs231n_conv")
    sessions = session_factory(url)
    now = datetime.now(UTC)
    with sessions() as s:
        tokens = {n: create_token(session=s, student=n) for n in ("alice", "bob", "carl", "dora", "erin")}
        schedule.set_override(s, "ex08", Schedule(due_at=now - timedelta(hours=30), late_penalty_per_day=0.1,
                                                  late_days_max=7))
        grades.apply(s, settings.schedule, "ex08")  # as the dashboard's save does: grades use it from now on
    ids = {"alice": add_graded(sessions, "alice", b"ok\n", received_at=now - timedelta(days=2)),
           "bob": add_graded(sessions, "bob", b"# canned: keep_convention\n"),
           "carl": add_graded(sessions, "carl", b"# canned: import_error\n",
                              received_at=now - timedelta(days=2))}
    with sessions() as s:
        bob = s.query(Student).filter_by(name="bob").one()  # and an upload of the second exercise
        s.add(Submission(student_id=bob.id, assignment="cs231n_conv", content=b"x = 1\n", sha256="1" * 64,
                         status="failed"))
        erin = s.query(Student).filter_by(name="erin").one()
        for status in ("queued", "held"):
            row = Submission(student_id=erin.id, assignment="ex08", content=b"x = 1\n", sha256="0" * 64,
                             status=status)
            s.add(row)
            s.commit()
            ids[f"erin-{status}"] = row.id
        run = SimilarityRun(assignment="ex08", reason="on demand", status="done", done=3, total=3,
                            threshold=0.75)
        s.add(run)
        s.flush()
        pair = SimilarityPair(run_id=run.id, a_submission=ids["alice"], b_submission=ids["bob"], score=0.91,
                              matches='[{"a_lines": [1, 1], "b_lines": [1, 1]}]')
        s.add(pair)
        s.commit()
        ids["pair"] = str(pair.id)
    with uvicorn_server(create_app(settings, queue=MemoryQueue()), port) as base:
        yield {"url": base, "settings": settings, "tokens": tokens, "ids": ids, "platform": platform}
    platform.stop()


def check(page, where: str) -> None:
    """The page fits and passes axe; with AUTOGRADER_SCREENSHOT_DIR set, its screenshot is kept there."""
    assert_fits_and_accessible(page, where)
    if shots := os.environ.get("AUTOGRADER_SCREENSHOT_DIR"):
        name = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")
        page.screenshot(path=str(Path(shots) / f"{name}.png"), full_page=True)


def _context(browser, course, size):
    return browser.new_context(base_url=course["url"], viewport=WIDTHS[size])


def instructor_login(page) -> None:
    page.goto("/dashboard/login")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/dashboard/login'] button[type=submit]")
    page.wait_for_url("**/dashboard")


def student_login(page, token: str) -> None:
    page.context.clear_cookies()
    page.goto("/student")
    page.fill("input[name=token]", token)
    page.click("form[action='/student/login'] button[type=submit]")
    page.wait_for_selector("#upload")


INSTRUCTOR_PAGES = ["/dashboard", "/dashboard/gradebook", "/dashboard/submissions",
                    "/dashboard/submissions/{bob}", "/dashboard/submissions/{carl}",
                    "/dashboard/submissions/{erin_held}", "/dashboard/students",
                    "/dashboard/students/{bob_id}", "/dashboard/schedule", "/dashboard/regrade-all",
                    "/dashboard/lti", "/lti/config", "/dashboard/students/{bob_id}/sign-in",
                    "/dashboard/no-such-page", "/dashboard/similarity", "/dashboard/similarity/pairs/{pair}"]
STUDENT_PAGES = ["/student", "/student?assignment=cs231n_conv", "/student?assignment=ex99",
                 "/student/submissions/{bob}", "/student/submissions/no-such-one"]


def _fill(path: str, course) -> str:
    ids = course["ids"]
    with session_factory(course["settings"].database)() as s:
        bob_id = s.query(Student).filter_by(name="bob").one().id
    return path.format(bob=ids["bob"], carl=ids["carl"], bob_id=bob_id, pair=ids["pair"],
                       erin_held=ids["erin-held"])


def report_link_path(course, sid: str) -> str:
    with session_factory(course["settings"].database)() as s:
        return urlsplit(report_links.report_link(course["settings"], sid, session=s)).path


@pytest.mark.parametrize("size", list(WIDTHS))
def test_signed_out_pages_fit_and_pass_axe(browser, course, size):
    context = _context(browser, course, size)
    page = context.new_page()
    links = {report_link_path(course, course["ids"][who]): what
             for who, what in (("bob", "a report link"), ("erin-held", "a held report's link (live)"))}
    # /lti/login without a platform's parameters: the LTI error page; /lti/config with the tool's key set (its
    # public key shown)
    for path in ("/dashboard/login", "/student", "/student/signin", "/lti/login", "/lti/config", *links):
        page.goto(path)
        check(page, f"{links.get(path, path)} at {size}")
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_lti_picker_fits_and_passes_axe(browser, course, size):
    """Course staff adding the assignment from the platform (deep linking): a real launch, not a render."""
    context = _context(browser, course, size)
    page = context.new_page()
    staff = login_params(course["platform"], "carol", lti_message_hint="deep-link")
    page.goto("/lti/login?" + urlencode(staff))
    page.wait_for_selector("#lti-pick")  # the platform's page posted the signed launch to the tool
    assert page.locator("#lti-pick input[name=assignment]").count() >= 1
    check(page, f"the LTI deep-linking picker at {size}")
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_instructor_pages_fit_and_pass_axe(browser, course, size):
    context = _context(browser, course, size)
    page = context.new_page()
    instructor_login(page)
    for path in INSTRUCTOR_PAGES:
        page.goto(_fill(path, course))
        check(page, f"{path} at {size}")
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_student_pages_fit_and_pass_axe(browser, course, size):
    context = _context(browser, course, size)
    page = context.new_page()
    student_login(page, course["tokens"]["bob"])
    for path in STUDENT_PAGES:
        page.goto(_fill(path, course))
        check(page, f"{path} at {size}")
    student_login(page, course["tokens"]["carl"])
    page.goto(f"/student/submissions/{course['ids']['carl']}")
    check(page, f"carl's report at {size}")
    student_login(page, course["tokens"]["erin"])
    page.goto(f"/student/submissions/{course['ids']['erin-held']}")
    check(page, f"erin's held report at {size}")
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_a_student_chooses_the_assignment_on_the_home_page(browser, course, size):
    """The labelled select and its button (a GET form: no script needed) open the chosen assignment's page:
    its upload form names it, and only its uploads are listed."""
    context = _context(browser, course, size)
    page = context.new_page()
    student_login(page, course["tokens"]["bob"])
    assert page.input_value("#assignment") == "ex08"
    page.get_by_label("Assignment").select_option("cs231n_conv")
    page.click("#assignment-choice button[type=submit]")
    page.wait_for_url("**/student?assignment=cs231n_conv")
    assert page.input_value("#assignment") == "cs231n_conv"
    assert page.input_value("#upload input[name=assignment]") == "cs231n_conv"
    assert "for cs231n_conv" in page.inner_text("#upload-for")
    assert page.locator("#attempts .badge").all_inner_texts() == ["failed"]  # bob's ex08 upload is not here
    check(page, f"the chosen assignment's home page at {size}")
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_each_form_answers_in_place_and_keeps_what_was_typed(browser, course, size):
    context = _context(browser, course, size)
    page = context.new_page()
    instructor_login(page)
    page.goto("/dashboard/schedule")
    page.fill("#due_at", "yesterday noon")
    page.fill("#late_penalty_per_day", "10")
    page.click("#save-schedule")
    page.wait_for_selector("#due_at-error")
    assert page.input_value("#due_at") == "yesterday noon"
    assert page.input_value("#late_penalty_per_day") == "10"
    assert "is not a date and time" in page.inner_text("#due_at-error")
    assert page.get_attribute("#due_at", "aria-describedby") == "due_at-error"
    check(page, f"schedule refused at {size}")
    page.fill("#ext-student", "bobb")
    page.click("#extension-form button[type=submit]")
    page.wait_for_selector("#ext-student-error")
    assert "Did you mean bob?" in page.inner_text("#ext-student-error")
    assert page.input_value("#ext-student") == "bobb"
    page.goto("/dashboard/students")
    page.click("#token-form button[type=submit]")  # empty: the browser is not asked to check (novalidate)
    page.wait_for_selector("#new-student-error")
    check(page, f"token form refused at {size}")
    page.goto("/dashboard/lti")
    page.fill("#lti-issuer", "https://lms.example")
    page.click("#lti-add button")
    page.wait_for_selector("#lti-client_id-error")
    assert page.input_value("#lti-issuer") == "https://lms.example"
    check(page, f"LTI form refused at {size}")
    context.close()


def test_an_import_error_is_shown_once_and_a_new_token_survives_a_reload(browser, course):
    context = _context(browser, course, "phone")
    page = context.new_page()
    student_login(page, course["tokens"]["carl"])
    page.goto(f"/student/submissions/{course['ids']['carl']}")
    assert page.locator("#one-cause").count() == 1 and page.inner_text("main").count(IMPORT_ERROR) == 1
    assert page.locator("tr.test .badge.not-run").count() == 3  # the hidden one stays hidden
    page.context.clear_cookies()
    instructor_login(page)
    page.goto("/dashboard/students")
    page.fill("#new-student", "fay")
    page.click("#token-form button[type=submit]")
    page.wait_for_selector("#new-token")
    check(page, "new token at phone")
    page.reload()  # the address is now a GET: no second token, a fresh sign-in link instead
    assert page.locator("#new-token").count() == 0 and "/student/signin#" in page.input_value("#new-link")
    with session_factory(course["settings"].database)() as s:
        fay = s.query(Student).filter_by(name="fay").one()
        assert s.query(Token).filter_by(student_id=fay.id).count() == 1
    context.close()


def test_a_reload_keeps_the_count_of_tests_done(browser, course):
    """The count of tests done lives in the page's sessionStorage: after a reload it goes on from there."""
    context = _context(browser, course, "phone")
    page = context.new_page()
    student_login(page, course["tokens"]["erin"])
    sid = course["ids"]["erin-queued"]
    page.goto(f"/student/submissions/{sid}")
    page.wait_for_function("document.getElementById('progress-text').textContent.includes('number 1 in the "
                           "queue')")
    with session_factory(course["settings"].database)() as s:
        attempt = s.get(Submission, sid).attempts
    # what the page had counted of this attempt before a reload ("attempt:done")
    page.evaluate(f"sessionStorage.setItem('progress:{sid}', '{attempt}:5')")
    page.reload()
    # a worker takes it (the stream polls the database)
    with session_factory(course["settings"].database)() as s:
        s.get(Submission, sid).status = "running"
        s.commit()
    page.wait_for_function("document.getElementById('status').textContent === 'running'", timeout=20000)
    assert page.inner_text("#progress-text").startswith("being graded: 5 of ")
    # the worker was lost and another takes it again: every test is graded again, counted from 0
    with session_factory(course["settings"].database)() as s:
        s.get(Submission, sid).attempts = attempt + 1
        s.commit()
    page.wait_for_function("document.getElementById('progress-text').textContent.startsWith("
                           "'being graded: 0 of ')", timeout=20000)
    with session_factory(course["settings"].database)() as s:
        row = s.get(Submission, sid)
        row.status, row.attempts = "queued", attempt
        s.commit()
    context.close()


@pytest.mark.parametrize("size", list(WIDTHS))
def test_the_api_reference_fits_and_passes_axe(browser, course, size):
    """/docs: Swagger UI, vendored (api/static/docs), as it opens and with one operation opened."""
    context = _context(browser, course, size)
    page = context.new_page()
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock")  # drawn from /openapi.json, no CDN
    check(page, f"/docs at {size}")
    for summary in page.locator(".opblock-summary-control").all():  # every operation, opened as a reader does
        summary.click()
    page.wait_for_function("document.querySelectorAll('.opblock.is-open .opblock-body').length === "
                           "document.querySelectorAll('.opblock').length")
    check(page, f"/docs with every operation open at {size}")
    context.close()
