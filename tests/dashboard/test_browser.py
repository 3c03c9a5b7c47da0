"""The dashboard and the student page in Debian's headless Chromium, against uvicorn and a real worker."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from pydantic import SecretStr

from api.auth import create_token
from api.dashboard.auth import hash_password
from api.db.migrate import upgrade
from api.db.session import session_factory
from api.settings import Settings
from tests.dashboard.live import live_service

pytestmark = [pytest.mark.browser, pytest.mark.service]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser-test-password"
RIGHT = b"import numpy as np\n\n\ndef dropout_forward(x, p):\n    return x\n"
WRONG = b"# fake: keep_convention\nimport numpy as np\n\n\ndef dropout_forward(x, p):\n    return x * p\n"


def _chromium() -> str:
    if not Path(CHROMIUM).exists() and os.environ.get("CI") == "true":
        subprocess.run(["sh", "-c", "apt-get update -qq && apt-get install -y -qq chromium"], check=True)
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium: run `make browsers`")
    return CHROMIUM


@pytest.fixture(scope="module")
def service(tmp_path_factory, redis_url):
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'db.sqlite3'}"
    upgrade(url)
    settings = Settings(env="development", data_dir=tmp, database_url=url, redis_url=None, broker_url=None,
                        instructor_password=SecretStr(hash_password(PASSWORD, iterations=1000)))
    with live_service(settings, redis_url, tmp / "worker.log") as running:
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
    for sid in ids.values():
        with httpx.stream("GET", f"{url}/api/v1/submissions/{sid}/events", timeout=60,
                          headers={"Authorization": f"Bearer {tokens['alice' if sid == ids['alice'] else 'bob']}"}) as r:
            for line in r.iter_lines():
                if line.startswith("event: graded"):
                    break
    return ids


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield b
        b.close()


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


def test_instructor_finds_the_failing_test_regrades_and_exports(page, graded, tmp_path):
    login(page)
    rows = page.locator("#submissions tbody tr")
    assert rows.count() == 2 and "graded" in rows.first.inner_text()
    page.fill("input[name=student]", "bob")
    page.click("#filters button[type=submit]")
    assert page.locator("#submissions tbody tr").count() == 1
    page.click(f"a[href='/dashboard/submissions/{graded['bob']}']")
    failing = page.locator("tr.test.status-failed")
    assert failing.count() == 1 and "dropout_forward: train-mode scaling" in failing.inner_text()
    assert "keep_convention" in failing.inner_text() and "measured 0.25" in failing.inner_text()
    assert page.locator("#curves svg polyline.curve").count() == 4
    assert page.locator(".source-wrap .source").inner_text().count("dropout_forward") == 1

    page.once("dialog", lambda d: d.accept())
    page.click("#regrade")
    page.wait_for_url("**regraded=1")
    page.wait_for_function("document.getElementById('status').textContent === 'graded'", timeout=30000)
    assert page.locator("tr.test.status-failed").count() == 1  # graded again, same verdict

    with page.expect_download() as dl:
        page.click("#export-csv")
    text = Path(dl.value.path()).read_text()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["alice"]["latest_score"] == "6" and rows["bob"]["best_score"] == "4"


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
    box = page.locator("#curves svg").first.bounding_box()
    crop = img[int(box["y"]):int(box["y"] + box["height"]), int(box["x"]):int(box["x"] + box["width"])]
    r, g, b = crop[..., 0], crop[..., 1], crop[..., 2]
    assert ((b > 180) & (r < 80)).sum() > 100  # the reference curve (#2563eb)
    assert ((r > 180) & (g < 80)).sum() > 100  # the student's curve (#dc2626)
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # text, badges, highlighted source: not flat


def test_student_signs_in_by_link_uploads_and_watches_it_graded(page, service):
    url, settings, _ = service
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="carla")
    page.goto(f"/student/login?token={token}")
    assert "Hello carla" in page.inner_text("h1")
    page.set_input_files("#file", files=[{"name": "layers.py", "mimeType": "text/x-python", "buffer": WRONG}])
    page.click("#upload button[type=submit]")
    page.wait_for_url("**/student/submissions/*")
    page.wait_for_selector("tr.test.status-failed", timeout=30000)
    body = page.inner_text("main")
    assert "keep_convention" in body and "HIDDEN-DETAIL" not in body and "1 hidden test" in body
    page.goto("/student")
    assert page.locator("#attempts tr").count() == 2  # header + this attempt; alice's and bob's are not shown
