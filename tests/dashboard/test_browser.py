"""The dashboard and the student page in Debian's headless Chromium, against uvicorn and a real worker.

The worker grades with the real grader, training checks included, so the
detail page shows real reports and real training curves. One worker serves the
whole module (its warm-up trains the reference networks: ~7 s).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from grader.feedback import HINTS
from service import report_links, sign_in_codes
from service.db.migrate import upgrade
from service.db.models import Submission, Token
from service.db.session import session_factory
from service.passwords import hash_password
from service.settings import Settings
from service.tokens import create_token
from tests.dashboard.a11y import WIDTHS, assert_fits_and_accessible
from tests.dashboard.live import RIGHT, WRONG, WRONG_FAILS, live_service
from tests.dashboard.reports import add_graded

pytestmark = [pytest.mark.browser, pytest.mark.service]
PASSWORD = "browser-test-password"
TRAINING = {"training: batch-norm network learns like the reference": "batchnorm",
            "training: dropout network trains and is deterministic in eval mode": "dropout"}
"""The training tests of reference/ex08/assignment.toml, and the network each trains on the student's
layers."""


@pytest.fixture(scope="module")
def service(tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    upgrade(url)
    settings = Settings(env="development", data_dir=tmp, database_url=url, redis_url=None, broker_url=None,
                        instructor_password=SecretStr(hash_password(PASSWORD)))
    with live_service(settings, redis_url, tmp / "worker.log", training=True) as running:
        yield running


@pytest.fixture(scope="module")
def graded(service):
    """alice's right and bob's wrong layers.py, uploaded through the API and graded by the worker."""
    url, settings, _ = service
    ids = {}
    with session_factory(settings.database)() as s:
        tokens = {n: create_token(session=s, student=n) for n in ("alice", "bob")}
    for name, content in (("alice", RIGHT), ("bob", WRONG)):
        r = httpx.post(f"{url}/api/v1/submissions", files={"file": ("layers.py", content)},
                       headers={"Authorization": f"Bearer {tokens[name]}"}, timeout=10)
        assert r.status_code == 202, r.text
        ids[name] = r.json()["id"]
    for name, sid in ids.items():
        with httpx.stream("GET", f"{url}/api/v1/submissions/{sid}/events", timeout=60,
                          headers={"Authorization": f"Bearer {tokens[name]}"}) as r:
            for line in r.iter_lines():
                if line.startswith("event: graded"):
                    break
    return ids


def stored_report(settings: Settings, sid: str) -> dict:
    with session_factory(settings.database)() as s:
        row = s.get(Submission, sid)
        assert row is not None and row.status == "graded" and row.report, row and row.error
        return json.loads(row.report)


@pytest.fixture
def page(browser, service):
    context = browser.new_context(base_url=service[0], viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    yield context.new_page()
    context.close()


def login(page) -> None:
    page.goto("/dashboard/submissions")
    assert "/dashboard/login" in page.url
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/submissions")


def test_the_real_reports_were_stored(service, graded):
    right, wrong = (stored_report(service[1], graded[n]) for n in ("alice", "bob"))
    # every test of ex08, training too
    assert right["score"] == right["max_score"] == wrong["max_score"] == 21
    assert [t["name"] for t in wrong["tests"] if t["status"] != "passed"] == WRONG_FAILS
    assert {t["hint"] for t in wrong["tests"] if t["status"] != "passed"} == {"keep_convention"}
    assert wrong["score"] == 19 and wrong["sandbox"]["insecure"] is False


def test_instructor_finds_the_failing_tests_regrades_and_exports(page, service, graded):
    login(page)
    rows = page.locator("#submissions tbody tr")
    assert rows.count() == 2 and "graded" in rows.first.inner_text()
    page.fill("input[name=student]", "bob")
    page.click("#filters button[type=submit]")
    assert page.locator("#submissions tbody tr").count() == 1
    page.click(f"a[href='/dashboard/submissions/{graded['bob']}']")
    assert page.inner_text(".score") == "19 / 21"
    failing = page.locator("tr.test.status-failed")
    assert failing.locator("summary").all_inner_texts() == WRONG_FAILS
    assert page.locator("tr.test.status-passed").count() == 24 - len(WRONG_FAILS)  # 24 tests in ex08
    for text in failing.all_inner_texts():
        assert "Recognised mistake: Keep convention" in text and "explained above" in text
    assert page.inner_text("main").count(HINTS["keep_convention"]) == 1  # once, above the tests it cost
    assert HINTS["keep_convention"] in page.inner_text("#mistake-keep_convention")
    outputs = {t["name"]: t["output"] for t in stored_report(service[1], graded["bob"])["tests"]}
    hint_tail = "\n\nHint: " + HINTS["keep_convention"]
    assert failing.locator("pre.output").all_inner_texts() == [outputs[n].removesuffix(hint_tail)
                                                              for n in WRONG_FAILS]  # measurements
    assert page.locator(".source-wrap .source").inner_text().count("def dropout_forward") == 1

    page.once("dialog", lambda d: d.accept())
    page.click("#regrade")
    page.wait_for_url("**regraded=1")
    page.wait_for_function("document.getElementById('status').textContent === 'graded'", timeout=30000)
    page.wait_for_selector("tr.test.status-failed")
    assert page.locator("tr.test.status-failed summary").all_inner_texts() == WRONG_FAILS  # same verdict

    with page.expect_download() as dl:
        page.click("#export-csv")
    text = Path(dl.value.path()).read_text()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(text))}
    scores = {n: f'{stored_report(service[1], graded[n])["score"]:g}' for n in ("alice", "bob")}
    # counted: latest
    assert (rows["alice"]["grade"], rows["bob"]["grade"]) == (scores["alice"], scores["bob"])


def test_detail_page_plots_the_real_training_curves(page, service, graded):
    report = stored_report(service[1], graded["bob"])
    curves = {t["name"]: t["data"]["curves"] for t in report["tests"] if "curves" in t["data"]}
    assert list(curves) == list(TRAINING)
    metrics = ["train_loss", "train_acc", "val_loss", "val_acc"]
    for name, network in TRAINING.items():  # the networks of grader/checks/training.py's _data
        assert list(curves[name]) == ["simple", f"{network}_reference", network]
        assert all(list(c) == metrics for c in curves[name].values())
    epochs = next(t["data"]["epochs"] for t in report["tests"] if t["name"] in TRAINING)

    login(page)
    page.goto(f"/dashboard/submissions/{graded['bob']}")
    charts = page.locator("#curves svg.chart")
    assert charts.count() == len(TRAINING) * len(metrics)
    titles = charts.evaluate_all("els => els.map(e => e.querySelector('title').textContent)")
    assert titles == [f"{m} per epoch" for m in metrics] * len(TRAINING)
    lines = page.locator("#curves polyline.curve").evaluate_all(
        "els => els.map(e => [e.querySelector('title').textContent, e.getAttribute('points').split(' "
        "').length])")
    assert lines == [[network, epochs] for net in TRAINING.values() for _ in metrics
                     for network in ("simple", f"{net}_reference", net)]


def test_regrade_all_asks_for_confirmation(page, graded):
    login(page)
    page.goto("/dashboard")
    page.click("text=Regrade all…")
    assert page.locator("#regrade-count").inner_text() == "2"
    page.click("#confirm-regrade-all")
    page.wait_for_url("**regraded=2**")
    page.wait_for_function("!document.querySelector('#rows').textContent.includes('queued') && "
                           "!document.querySelector('#rows').textContent.includes('running')", timeout=30000)


def test_screenshot_of_the_detail_page_is_not_blank(page, graded, tmp_path):
    from PIL import Image

    login(page)
    page.goto(f"/dashboard/submissions/{graded['bob']}")
    page.wait_for_selector("#curves svg")
    shot = tmp_path / "detail.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("AUTOGRADER_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["AUTOGRADER_SCREENSHOT_DIR"]) / "dashboard-detail.png")
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[1] == 1280 and img.shape[0] > 900 and shot.stat().st_size > 40_000
    assert tuple(img[5, 5]) == (15, 23, 42)  # the dark header bar
    box = page.locator("#curves svg").first.bounding_box()  # the batch-norm network's train_loss
    plot = img[int(box["y"]):int(box["y"] + 0.75 * box["height"]), int(box["x"]):int(box["x"] + box["width"])]
    r, g, b = plot[..., 0], plot[..., 1], plot[..., 2]  # the lines only: the legend is below 75%
    assert ((b > 180) & (r < 80)).sum() > 100  # the simple network (#2563eb)
    assert ((r > 180) & (g < 80)).sum() > 100  # the reference network (#dc2626), under ...
    assert ((g > 130) & (r < 60) & (b < 100)).sum() > 100  # ... the student's layers' (#16a34a), dashed
    colors = np.unique(img[..., 0] << 16 | img[..., 1] << 8 | img[..., 2])
    assert len(colors) > 50  # text, badges, highlighted source: not flat


def test_student_signs_in_by_link_uploads_and_watches_it_graded(page, service):
    url, settings, _ = service
    with session_factory(settings.database)() as s:
        create_token(session=s, student="carla")
        code = sign_in_codes.make(settings, s.scalars(select(Token.id).order_by(Token.id.desc())).first())
    page.goto(f"/student/signin#{code}")  # the link: the code after '#', never sent by the browser
    assert page.input_value("#code") == code and "#" not in page.url  # moved into the form
    page.click("#signin button[type=submit]")  # the sign-in itself is a POST
    assert "Hello carla" in page.inner_text("h1")
    page.set_input_files("#file", files=[{"name": "layers.py", "mimeType": "text/x-python", "buffer": WRONG}])
    page.click("#upload button[type=submit]")
    page.wait_for_url("**/student/submissions/*")
    page.wait_for_selector("tr.test.status-failed", timeout=30000)
    assert page.locator("tr.test.status-failed summary").all_inner_texts() == WRONG_FAILS
    body = page.inner_text("main")
    assert "19 / 21" in body and HINTS["keep_convention"] in body and "hidden test" not in body
    free = page.locator("#tests-free tr.test").count()  # ex08's 0-point tests, apart, each with why
    assert free > 0 and page.locator("#tests-free .free-why").count() == free
    for size in WIDTHS.values():  # a real report (24 tests, 0-point ones apart) fits and passes axe
        page.set_viewport_size(size)
        assert_fits_and_accessible(page, f"a real report at {size['width']} px")
    page.goto("/student")
    assert page.locator("#attempts tr").count() == 2  # header + this attempt; alice's and bob's are not shown


def test_student_does_not_see_a_hidden_test_before_the_release_date(page, service):
    """ex08 hides no test, so the row is inserted with a hand-made report that has one (test data)."""
    url, settings, _ = service
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="dora")
    sid = add_graded(session_factory(settings.database), "dora", b"# canned: keep_convention\n")
    page.goto("/student")
    page.fill("input[name=token]", token)
    page.click("form[action='/student/login'] button[type=submit]")
    page.goto(f"/student/submissions/{sid}")
    body = page.inner_text("main")
    assert "Recognised mistake: Keep convention" in body and "1 hidden test" in body and "3 / 5" in body
    assert "HIDDEN-DETAIL" not in body and "hidden gradient check" not in body


@pytest.mark.slow
def test_a_held_upload_turns_graded_live_and_progress_survives_a_reload(browser, service):
    """Two uploads back to back: the second waits (held) for the first, says so in words, and follows it to
    graded without anyone reloading; a reload of the first while it runs keeps its count of tests done.

    The worker is paused (SIGSTOP) while the uploads arrive and the first's page opens, and again around the
    reload: this machine grades the reference in about 2 s, faster than two uploads and a page load."""
    url, settings, worker = service
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="hana")
    context = browser.new_context(base_url=url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/student")
    page.fill("input[name=token]", token)
    page.click("form[action='/student/login'] button[type=submit]")
    done = ("() => (document.getElementById('progress-text').textContent"
            ".match(/(\\d+) of 24 tests done/) || [0, -1])[1]")
    with paused(worker):
        reports = []
        for content in (RIGHT, WRONG):
            page.goto("/student")
            file = {"name": "layers.py", "mimeType": "text/x-python", "buffer": content}
            page.set_input_files("#file", files=[file])
            page.click("#upload button[type=submit]")
            page.wait_for_url("**/student/submissions/*")
            reports.append(page.url)
        assert page.inner_text("#status") == "held"
        assert "waiting for your earlier upload to finish" in page.inner_text("#progress-text")
        first = context.new_page()
        first.goto(reports[0])  # listening before the first test runs
        first.bring_to_front()

    # The count is read by the call that waits for it: a read after could meet the reload that 'graded' makes.
    two_done = f"() => ({done})() >= 2 && String(({done})())"
    before = int(first.wait_for_function(two_done, timeout=90000).json_value())
    with paused(worker):  # no test ends and no 'graded' comes while the page reloads and restores its count
        first.reload()
        shown = ("() => document.getElementById('status').textContent === 'graded' ? 'graded'"
                 f" : (({done})() >= 0 ? String(({done})()) : false)")
        state = first.wait_for_function(shown, timeout=30000).json_value()
    if state != "graded":  # (graded only if it ended between the count we read and the pause)
        assert int(state) >= before  # not back to 0: restored, then counting on

    page.wait_for_selector("tr.test.status-failed", timeout=180000)  # the held one, graded: no reload by us
    assert page.locator("tr.test.status-failed summary").all_inner_texts() == WRONG_FAILS
    assert page.inner_text("#status") == "graded"
    context.close()


SEEN = """document.addEventListener("DOMContentLoaded", () => {
  // Each state the page shows, kept across reloads in the tab: "load:" as the server wrote it, "live:" as the
  // page's own script changed it (consecutive repeats once).
  const status = document.getElementById("status");
  if (!status || !document.getElementById("progress")) return;
  const seen = JSON.parse(sessionStorage.getItem("seen") || "[]");
  const log = (how) => {
    const entry = how + ":" + status.textContent;
    if (seen[seen.length - 1] === entry) return;
    seen.push(entry);
    sessionStorage.setItem("seen", JSON.stringify(seen));
  };
  log("load");
  new MutationObserver(() => log("live")).observe(status, {childList: true, characterData: true,
                                                           subtree: true});
});"""
SEEN_WHEN_GRADED = ("() => document.getElementById('status') && document.getElementById('status').textContent"
                    " === 'graded' && JSON.parse(sessionStorage.getItem('seen'))")
"""What the page went through, read by the call that waits for the end: 'graded' is only ever written by the
server (the script reloads instead), so the page that shows it is final and stays."""


@contextmanager
def paused(worker):
    """The real worker, stopped (SIGSTOP to its process group) until the block ends: a busy worker, so that an
    upload stays queued and the next one held as long as the test needs, however fast this machine grades."""
    os.killpg(worker.proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(worker.proc.pid, signal.SIGCONT)


@pytest.mark.slow
def test_a_shared_link_and_the_instructor_page_follow_a_held_upload_to_graded(browser, service):
    """Two uploads back to back through the API: the second waits (held) for the first. Its shared report link
    (no session: the link is the key) and the instructor's page of it both follow it live, over the same
    stream as the student's page, to its report; nobody reloads (the page does, once, when grading ends)."""
    url, settings, worker = service
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="ines")
    shared = browser.new_context(base_url=url, viewport={"width": 390, "height": 844})
    staff = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    by_link, dashboard = shared.new_page(), staff.new_page()
    login(dashboard)
    for context in (shared, staff):
        context.add_init_script(SEEN)
    with paused(worker):
        ids = []
        for content in (RIGHT, WRONG):
            r = httpx.post(f"{url}/api/v1/submissions", files={"file": ("layers.py", content)},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        held = ids[1]
        with session_factory(settings.database)() as s:
            by_link.goto(report_links.report_link(settings, held, session=s))
        dashboard.goto(f"/dashboard/submissions/{held}")
        for page, whose in ((by_link, "your"), (dashboard, "the student's")):
            assert page.inner_text("#status") == "held"
            assert f"waiting for {whose} earlier upload to finish" in page.inner_text("#progress-text")

    for page in (by_link, dashboard):  # no reload, no navigation by the test from here on
        seen = page.wait_for_function(SEEN_WHEN_GRADED, timeout=240000).json_value()
        assert seen[0] == "load:held", seen
        assert "live:running" in seen and seen[-1] == "load:graded", seen  # followed live, then the report
        assert all(s.startswith("live:") for s in seen[1:-1]), seen  # one reload: the page's own, at the end
        assert page.locator("tr.test.status-failed summary").all_inner_texts() == WRONG_FAILS
    assert "Your other uploads" not in by_link.inner_text("main")  # a link opens one report, nobody's list
    shared.close()
    staff.close()
