"""Report links expire and can be revoked from the dashboard; a new link works again."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeSerializer
from pydantic import SecretStr

from api.app import create_app
from service import report_links
from service.db.session import session_factory
from service.passwords import hash_password
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue


@pytest.fixture
def app(settings):
    return create_app(settings.model_copy(update={"instructor_password": SecretStr(hash_password("pw"))}),
                      queue=MemoryQueue())


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def shown_link(c: TestClient, sid: str) -> str:
    page = c.get(f"/dashboard/submissions/{sid}").text
    return urlsplit(re.search(r'<a href="([^"]+)" id="student-view">', page).group(1)).path


def test_revoking_stops_every_link_sent_so_far_and_new_ones_work(app, settings):
    sid = add_graded(session_factory(settings.database), "ann", b"# canned: keep_convention\n")
    with TestClient(app) as c:
        c.post("/dashboard/login", data={"password": "pw", "csrf_token": csrf_of(c.get("/dashboard/login").text)})
        old = shown_link(c, sid)
        with session_factory(settings.database)() as s:  # the one the LMS got with the grade
            sent = urlsplit(report_links.report_link(settings, sid, session=s)).path
        with TestClient(app) as anyone:
            assert anyone.get(old).status_code == 200 and anyone.get(sent).status_code == 200
            r = c.post(f"/dashboard/submissions/{sid}/report-links/revoke",
                       data={"csrf_token": csrf_of(c.get(f"/dashboard/submissions/{sid}").text)},
                       follow_redirects=False)
            assert r.status_code == 303
            assert anyone.get(old).status_code == 404 and anyone.get(sent).status_code == 404
            new = shown_link(c, sid)
            assert new != old and anyone.get(new).status_code == 200
        assert c.post(f"/dashboard/submissions/{sid}/report-links/revoke", data={"csrf_token": "x"}).status_code == 403


def test_links_expire_and_forged_or_old_style_links_open_nothing(app, settings):
    sid = add_graded(session_factory(settings.database), "ann", b"# canned: keep_convention\n")
    with session_factory(settings.database)() as s:
        link = urlsplit(report_links.report_link(settings, sid, session=s)).path
    untimed = URLSafeSerializer(settings.secret_key.get_secret_value(), salt=report_links.SALT).dumps(sid)
    with TestClient(app) as c:
        assert c.get(link).status_code == 200
        assert c.get(f"/student/reports/{untimed}").status_code == 404  # before expiry existed: never expired
        assert c.get(link[:-3] + "abc").status_code == 404
        app.state.settings = app.state.settings.model_copy(update={"report_link_max_age_s": -1})
        assert c.get(link).status_code == 404
