"""Every way in refuses the same bad upload the same way: they all call :func:`service.intake.submit`.

The ways in: the upload API (a bearer token), the student page signed in with a token, the
student page signed in by an LTI launch (its cookie names the assignment the link asked for),
and the signed LMS webhook. Each is driven through the same table of bad inputs over HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from fastapi.responses import Response
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api import auth
from api.app import create_app
from api.ratelimit import UploadLimiter
from service.db.session import session_factory
from service.lms import signing
from service.tokens import authenticate, create_token, digest
from tests.doubles import MemoryQueue

GOOD = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x, None\n"
LIMIT = 4096
SECRET = "moodle-secret"


@dataclass
class Upload:
    content: bytes = GOOD
    filename: str = "layers.py"
    assignment: str = "ex08"


Send = Callable[[TestClient, Upload, int], httpx.Response]


def _api(token: str) -> Send:
    def send(client: TestClient, up: Upload, n: int) -> httpx.Response:
        return client.post("/api/v1/submissions", params={"assignment": up.assignment},
                           headers={"Authorization": f"Bearer {token}"}, files={"file": (up.filename, up.content)})
    return send


def _page(client: TestClient, cookie: str | None, token: str) -> Send:
    """The student page; ``cookie`` is the session an LTI launch leaves, else the student signs in with a token."""
    if cookie is not None:
        client.cookies.set(auth.COOKIE, cookie)
    else:
        assert client.post("/student/login", data={"token": token, "csrf_token": _csrf(client, "/student")},
                           follow_redirects=False).status_code == 303

    def send(client: TestClient, up: Upload, n: int) -> httpx.Response:
        return client.post("/student/upload", data={"csrf_token": _csrf(client, "/student/signin")},
                           files={"file": (up.filename, up.content)}, headers={"Accept": "application/json"},
                           follow_redirects=False)
    return send


def _csrf(client: TestClient, page: str) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    return found.group(1)


def _lms(client: TestClient, up: Upload, n: int) -> httpx.Response:
    raw = json.dumps({"course_id": "c", "assignment_id": up.assignment, "student_id": "alice",
                      "external_submission_id": f"ext-{n}", "file_base64": base64.b64encode(up.content).decode(),
                      "callback_url": "http://127.0.0.1:9/grades", "filename": up.filename}).encode()
    return client.post("/api/v1/lms/submissions", content=raw, headers={
        "Content-Type": "application/json", **signing.sign(SECRET, raw, integration="moodle")})


WAYS = ("api", "page", "lti", "lms")
CASES = {  # name: (the bad upload, the refusal every way in answers: status, problem type)
    "unknown assignment": (Upload(assignment="nope"), 422, "unknown-assignment"),
    "wrong name": (Upload(filename="layers.txt"), 422, "filename"),
    "too large": (Upload(content=GOOD + b"#" * LIMIT), 413, "too-large"),
    "closed": (Upload(), 403, "closed"),
    "over the waiting cap": (Upload(content=GOOD + b"# again\n"), 429, "too-many-waiting"),
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", list(CASES))
def test_every_way_in_refuses_a_bad_upload_the_same_way(settings, way, case):
    if way == "page" and case == "unknown assignment":
        pytest.skip("a token's page session uploads to the default assignment: it names none")
    up, status, kind = CASES[case]
    over = {"max_upload_bytes": LIMIT, "max_waiting_per_student": 1, "assignments": "ex08",
            "lms_secrets": {"moodle": SecretStr(SECRET)}, "lms_callback_hosts": "127.0.0.1"}
    if case == "closed":
        over["schedule"] = {"ex08": {"closes_at": "2020-01-01T00:00:00+00:00"}}
    app = create_app(settings.model_copy(update=over), queue=MemoryQueue(),
                     rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app) as client:
        send = _way(client, way, settings, up.assignment)
        if case == "over the waiting cap":
            assert send(client, Upload(), 0).status_code in (202, 303)  # one waits (the queue is a double)
        r = send(client, up, 1)
    assert (r.status_code, r.json().get("type", "").rsplit("/", 1)[-1]) == (status, kind), r.text


def _way(client: TestClient, way: str, settings, assignment: str) -> Send:
    with session_factory(settings.database)() as s:
        token = create_token(session=s, student="alice")
        student = authenticate(session=s, token=token)
        assert student is not None
    if way == "api":
        return _api(token)
    if way == "lms":
        return _lms
    cookie = None
    if way == "lti":  # what /lti/launch leaves: a student session that names the link's assignment
        response = Response()
        auth.start(response, client.app.state.settings, role="student", sid=student.id,  # type: ignore[attr-defined]
                   token=digest(token), assignment=assignment)
        cookie = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    return _page(client, cookie, token)

