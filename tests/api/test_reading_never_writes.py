"""Reading never writes: every GET page and endpoint of the app, walked with data in every table a page
shows, while the effective schedule differs from the one the grades were computed with.

Before, five pages recomputed every grade (and queued LMS deliveries) when they saw that difference;
now only start-up and the dashboard's POSTs apply a schedule. Every statement the app sends during the
walk is watched: none may be an INSERT, UPDATE or DELETE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import Engine

from api.app import create_app
from api.ratelimit import UploadLimiter
from service import report_links, schedule
from service.db.grade_models import Extension
from service.db.lms_models import LmsDelivery, LmsLink
from service.db.models import Submission
from service.db.session import session_factory
from service.db.similarity_models import SimilarityPair, SimilarityRun, SimilarityVerdict
from service.passwords import hash_password
from service.schedule import Schedule
from service.tokens import create_token
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue

NOT_PAGES = {
    "/lti/login": "the platform's OIDC login initiation: it stores the login's state and nonce",
    "/api/v1/submissions/{submission_id}/events": "a stream, not a page (it reads only, but never ends)",
    "/student/submissions/{submission_id}/events": "a stream, not a page (it reads only, but never ends)",
}
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


@pytest.fixture
def writes() -> Iterator[list[str]]:
    seen: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001 - SQLAlchemy's
        if WRITES.match(statement):
            seen.append(statement.split("\n", 1)[0][:120])

    event.listen(Engine, "before_cursor_execute", watch)
    yield seen
    event.remove(Engine, "before_cursor_execute", watch)


def test_no_get_writes_the_database(settings, writes):
    env = {"ex08": {"due_at": "2026-01-01T00:00:00+00:00", "late_penalty_per_day": 0.1}}
    settings = settings.model_copy(update={"schedule": env,
                                           "instructor_password": SecretStr(hash_password("pw"))})
    sessions = session_factory(settings.database)
    app = create_app(settings, queue=MemoryQueue(), rate_limiter=UploadLimiter(None, limit=100, window_s=60))
    with TestClient(app) as staff, TestClient(app) as student:
        ids = _data(sessions, settings)
        _sign_in(staff, "/dashboard/login", "/dashboard/login", {"password": "pw"})
        _sign_in(student, "/student", "/student/login", {"token": ids["token"]})
        writes.clear()
        walked = []
        for path in _get_paths(app.routes):
            if path in NOT_PAGES:
                continue
            url = path.format(**ids)
            for client in (staff, student):
                r = client.get(url, headers={"Authorization": f"Bearer {ids['token']}"},
                               follow_redirects=False)
                # no broker here
                assert r.status_code < 500 or url == "/healthz", (url, r.status_code, r.text[:300])
            walked.append(url)
    assert writes == [], f"GETs wrote: {writes}"
    assert {"/dashboard", "/dashboard/gradebook", "/dashboard/export.csv", "/dashboard/schedule",
            "/dashboard/similarity", f"/dashboard/similarity/pairs/{ids['pair_id']}",
            f"/dashboard/students/{ids['student_id']}", "/student"} <= set(walked)


def _get_paths(routes: list) -> list[str]:
    """The path of every GET route, in routers included (as FastAPI keeps them) or not."""
    out = []
    for r in routes:
        if isinstance(r, APIRoute) and "GET" in r.methods:
            out.append(r.path)
        elif hasattr(r, "original_router"):  # an included router (its routes carry their prefix)
            out += _get_paths(r.original_router.routes)
    return out


def _data(sessions, settings) -> dict[str, str]:
    """A graded submission, an LMS link and delivery, an extension; then an applied schedule that is not
    the effective one (what a page would once have 'fixed')."""
    sid = add_graded(sessions, "lms:u1", b"x = 1\n")
    with sessions() as s:
        student_id = s.get(Submission, sid).student_id
        token = create_token(session=s, student="lms:u1")
        link = LmsLink(integration="default", course_id="c", assignment_id="ex08", student_id="u1",
                       external_submission_id="e1", submission_id=sid, callback_url="http://127.0.0.1:9/g")
        s.add(link)
        s.flush()
        s.add(LmsDelivery(link_id=link.id, submission_id=sid, grade_attempt=1,
                          next_attempt_at=datetime.now(UTC)))
        s.add(Extension(assignment="ex08", student_id=student_id, due_at=datetime(2026, 1, 3, tzinfo=UTC)))
        run = SimilarityRun(assignment="ex08", reason="on demand", status="done", done=1, total=2,
                            threshold=0.75)
        s.add(run)
        s.flush()
        pair = SimilarityPair(run_id=run.id, a_submission=sid, known="public.py", score=0.9,
                              matches='[{"a_lines": [1, 1], "b_lines": [1, 1]}]')
        s.add(pair)
        s.add(SimilarityVerdict(assignment="ex08", a_submission=sid, b_key="known:public.py",
                                verdict="dismissed"))
        schedule.write_applied(s, "ex08", Schedule())  # not the environment's: a page once recomputed here
        s.commit()
        assert schedule.effective(s, settings.schedule, "ex08") != schedule.applied(s, "ex08")
        return {"submission_id": sid, "student_id": str(student_id), "token": token,
                "link": report_links.report_link(settings, sid, session=s).rsplit("/", 1)[-1],
                "platform_id": "1", "pair_id": str(pair.id)}


def _sign_in(client: TestClient, page: str, action: str, form: dict[str, str]) -> None:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    assert client.post(action, data={**form, "csrf_token": found.group(1)},
                       follow_redirects=False).status_code == 303
