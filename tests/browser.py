"""Headless Chromium for the browser tests (Debian's: Playwright's own download is unreachable here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    """The browser's path; installed in CI when missing, else the test is skipped."""
    if not Path(CHROMIUM).exists() and os.environ.get("CI") == "true":
        subprocess.run(["sh", "-c", "apt-get update -qq && apt-get install -y -qq chromium"], check=True)
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium: run `make browsers`")
    return CHROMIUM
