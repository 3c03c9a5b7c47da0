"""What the API and the pages say when something is off: in words a student can act on, and HTML for a
browser (issue 18): the assignment as a form field, a missing file field, the 401, a student page's 404,
/docs without the internet."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from service.db.session import session_factory
from service.tokens import create_token
from tests.doubles import MemoryQueue

GOOD = b"import numpy as np\n\ndef dropout_forward(x, p):\n    return x, None\n"


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, queue=MemoryQueue())) as c:
        yield c


@pytest.fixture
def tokens(settings) -> dict[str, str]:
    with session_factory(settings.database)() as s:
        return {"alice": create_token(session=s, student="alice")}


def post(client, token, params=None, data=None, files=None):
    return client.post("/api/v1/submissions", params=params or {}, data=data or {},
                       files=files if files is not None else {"file": ("layers.py", GOOD)},
                       headers={"Authorization": f"Bearer {token}"})


def test_the_assignment_comes_from_the_form_field_as_well_as_the_query(client, tokens):
    assert post(client, tokens["alice"], data={"assignment": "ex08"}).status_code == 202
    unknown = post(client, tokens["alice"], data={"assignment": "ex99"})
    # not graded as ex08
    assert unknown.status_code == 422 and unknown.json()["title"] == "Unknown assignment"
    both = post(client, tokens["alice"], params={"assignment": "ex08"}, data={"assignment": "ex99"})
    assert both.status_code == 422 and "`ex08`" in both.json()["detail"] and "`ex99`" in both.json()["detail"]


def test_a_missing_file_field_is_named(client, tokens):
    r = post(client, tokens["alice"], files={"upload": ("layers.py", GOOD)})
    assert r.status_code == 422 and r.json()["detail"].startswith("no file field named `file`")


def test_the_401_says_where_a_student_gets_a_token(client):
    detail = client.post("/api/v1/submissions", files={"file": ("layers.py", GOOD)}).json()["detail"]
    assert "token your instructor gave you" in detail and "autograder token create" not in detail


def test_a_missing_student_or_dashboard_page_is_an_html_page(client):
    html = {"Accept": "text/html,application/xhtml+xml"}
    for path in ("/student/x", "/student/reports/not-a-link", "/dashboard/nothing-here"):
        r = client.get(path, headers=html)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
        assert "<h1>Not found</h1>" in r.text
    assert client.get("/student/x").headers["content-type"] == "application/problem+json"  # an API client


def test_docs_load_without_the_internet(client):
    page = client.get("/docs").text
    assets = re.findall(r"""(?:src|href)=['"]([^'"]+)['"]""", page)
    assert assets and all(a.startswith("/docs/static/") for a in assets), assets
    assert '<html lang="en">' in page and "/docs/static/contrast.css" in assets  # axe: tests/dashboard
    for a in assets:
        assert client.get(a).status_code == 200, a


def test_a_browser_refused_on_a_page_reads_why_in_a_page(client):
    r = client.post("/dashboard/schedule", data={"assignment": "ex08"}, headers={"Accept": "text/html"})
    assert r.status_code in (401, 403) and r.headers["content-type"].startswith("text/html")
    assert "<h1>" in r.text and "dashboard" in r.text
    assert client.post("/dashboard/schedule", data={}).headers["content-type"] == "application/problem+json"
