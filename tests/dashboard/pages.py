"""Helpers of the dashboard's HTTP tests (their fixtures are in conftest.py): the instructor's password,
two canned sources, a page's CSRF token, a signed-in student's client."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.app import create_app
from service.tokens import create_token
from tests.doubles import MemoryQueue

PASSWORD = "correct horse battery"
RIGHT = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x\n"
WRONG = b"# canned: keep_convention\nimport numpy as np\n"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def student_client(dash_settings, sessions, name):
    with sessions() as s:
        token = create_token(session=s, student=name)
    c = TestClient(create_app(dash_settings, queue=MemoryQueue()))
    page = c.get("/student")
    c.post("/student/login", data={"token": token, "csrf_token": csrf_of(page.text)})
    return c


NOW = datetime.now(UTC)


def set_schedule(instructor, **fields) -> None:
    page = instructor.get("/dashboard/schedule")
    form = {"csrf_token": csrf_of(page.text), "assignment": "ex08", "due_at": "", "closes_at": "",
            "late_penalty_per_day": "", "late_days_max": "", "counted": "latest", "confirm_past_close": "1",
            **fields}
    r = instructor.post("/dashboard/schedule", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
