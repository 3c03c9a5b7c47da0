"""Every way in refuses the same bad upload the same way: they all call :func:`service.intake.submit`.

The ways in: the upload API (a bearer token), the student page signed in with a token (its form names
the assignment), the student page signed in by an LTI launch (its cookie names the assignment the link
asked for, and its form the same),
and the signed LMS webhook. Each is driven through the same table of bad inputs over HTTP.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.ratelimit import UploadLimiter
from tests.api.ways_in import GOOD, LIMIT, SECRET, WAYS, Upload, way_in
from tests.doubles import MemoryQueue

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
    up, status, kind = CASES[case]
    over = {"max_upload_bytes": LIMIT, "max_waiting_per_student": 1, "assignments": "ex08",
            "lms_secrets": {"moodle": SecretStr(SECRET)}, "lms_callback_hosts": "127.0.0.1"}
    if case == "closed":
        over["schedule"] = {"ex08": {"closes_at": "2020-01-01T00:00:00+00:00"}}
    app = create_app(settings.model_copy(update=over), queue=MemoryQueue(),
                     rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app) as client:
        send = way_in(client, way, settings, up.assignment)
        if case == "over the waiting cap":
            assert send(client, Upload(), 0).status_code in (202, 303)  # one waits (the queue is a double)
        r = send(client, up, 1)
    assert (r.status_code, r.json().get("type", "").rsplit("/", 1)[-1]) == (status, kind), r.text
