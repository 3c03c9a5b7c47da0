"""The four ways in (the upload API, the student page by token, by an LTI launch's session, the LMS
webhook), each as a function that sends one upload over HTTP: for the tests that drive them all alike."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from fastapi.responses import Response
from fastapi.testclient import TestClient

from api import auth
from service.db.session import session_factory
from service.lms import signing
from service.tokens import authenticate, create_token, digest

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
                           headers={"Authorization": f"Bearer {token}"},
                           files={"file": (up.filename, up.content)})
    return send


def _page(client: TestClient, cookie: str | None, token: str) -> Send:
    """The student page's upload form (it names the assignment it shows); ``cookie`` is the session an LTI
    launch leaves, else the student signs in with a token."""
    if cookie is not None:
        client.cookies.set(auth.COOKIE, cookie)
    else:
        assert client.post("/student/login", data={"token": token, "csrf_token": _csrf(client, "/student")},
                           follow_redirects=False).status_code == 303

    def send(client: TestClient, up: Upload, n: int) -> httpx.Response:
        return client.post("/student/upload", data={"csrf_token": _csrf(client, "/student/signin"),
                                                    "assignment": up.assignment},  # as the home page's form
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
                      "external_submission_id": f"ext-{n}",
                      "file_base64": base64.b64encode(up.content).decode(),
                      "callback_url": "http://127.0.0.1:9/grades", "filename": up.filename}).encode()
    return client.post("/api/v1/lms/submissions", content=raw, headers={
        "Content-Type": "application/json", **signing.sign(SECRET, raw, integration="moodle")})


WAYS = ("api", "page", "lti", "lms")

def way_in(client: TestClient, way: str, settings, assignment: str) -> Send:
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

