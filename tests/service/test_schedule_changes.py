"""A schedule is applied when it changes, not when a page is read: at start-up (the data file and the
environment) and when the dashboard saves one. The grades it changes are recomputed then, and the LMS
gets the new ones."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from service import grades, schedule
from service.db.lms_models import LmsLink
from service.db.session import session_factory
from service.passwords import hash_password
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue

# every upload: 0 points
LATE = {"ex08": {"due_at": "2020-01-01T00:00:00+00:00", "late_penalty_per_day": 0.5}}


def _lms_student(sessions) -> int:
    sid = add_graded(sessions, "lms:u1", b"x = 1\n")  # graded while no schedule applies: full points
    with sessions() as s:
        s.add(LmsLink(integration="default", course_id="c", assignment_id="ex08", student_id="u1",
                      external_submission_id="e1", submission_id=sid, callback_url="http://127.0.0.1:9/g"))
        s.commit()
        g = grades.counted_grade(s, assignment="ex08", student_id=_student_id(s, sid))
        assert g is not None and g.grade == g.score > 0
        return g.student_id


def _student_id(s, sid: str) -> int:
    from service.db.models import Submission

    row = s.get(Submission, sid)
    assert row is not None
    return row.student_id


def test_start_up_applies_the_environments_schedule_and_sends_the_grades_it_changed(settings):
    sessions = session_factory(settings.database)
    student = _lms_student(sessions)
    queue = MemoryQueue()
    with TestClient(create_app(settings.model_copy(update={"schedule": LATE}), queue=queue)), sessions() as s:
        assert grades.counted_grade(s, assignment="ex08", student_id=student).grade == 0.0
        assert schedule.applied(s, "ex08") == schedule.effective(s, LATE, "ex08")
    assert len(queue.deliveries) == 1  # the LMS hears of the new grade once
    with TestClient(create_app(settings.model_copy(update={"schedule": LATE}), queue=queue)):
        pass
    assert len(queue.deliveries) == 1  # started again, nothing changed: nothing sent


def test_saving_a_schedule_on_the_dashboard_applies_it_then(settings):
    sessions = session_factory(settings.database)
    student = _lms_student(sessions)
    queue = MemoryQueue()
    settings = settings.model_copy(update={"instructor_password": SecretStr(hash_password("pw"))})
    with TestClient(create_app(settings, queue=queue)) as client:
        client.post("/dashboard/login",
                    data={"password": "pw", "csrf_token": _csrf(client, "/dashboard/login")})
        csrf = _csrf(client, "/dashboard/schedule")  # the signed-in session's
        r = client.post("/dashboard/schedule", data={"assignment": "ex08", "due_at": "2020-01-01T00:00",
                                                     "late_penalty_per_day": "0.5", "csrf_token": csrf},
                        follow_redirects=False)
        assert r.status_code == 303
        with sessions() as s:
            assert grades.counted_grade(s, assignment="ex08", student_id=student).grade == 0.0
    assert len(queue.deliveries) == 1


def _csrf(client: TestClient, page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    return found.group(1)



def test_postgres_down_at_start_gets_the_schedule_once_it_is_back(settings, monkeypatch):
    """Postgres starting after the API: the API serves meanwhile (its health says the database is down) and
    applies the schedule as soon as it can, instead of at the next start."""
    from urllib.parse import urlsplit

    from api import app as app_module
    from service.db.migrate import upgrade
    from tests.service_backends import scratch_postgres
    from tests.tcp_gate import Gate

    monkeypatch.setattr(app_module, "SCHEDULE_RETRY_S", 0.2)
    with scratch_postgres() as url:
        upgrade(url)
        sessions = session_factory(url)
        student = _lms_student(sessions)
        real = urlsplit(url)
        gate = Gate((real.hostname or "127.0.0.1", real.port or 5432))
        behind_gate = url.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{gate.port}")
        queue = MemoryQueue()
        later = settings.model_copy(update={"schedule": LATE, "database_url": behind_gate})
        try:
            with TestClient(create_app(later, queue=queue)) as client:
                assert client.get("/healthz").status_code == 503  # serving, and saying why it is not well
                with sessions() as s:
                    assert grades.counted_grade(s, assignment="ex08", student_id=student).grade > 0
                gate.open()  # Postgres is up
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not _late_grade_counts(sessions, student):
                    time.sleep(0.1)
                assert _late_grade_counts(sessions, student)
                with sessions() as s:
                    assert schedule.applied(s, "ex08") == schedule.effective(s, LATE, "ex08")
        finally:
            gate.close()
            from service.db.session import _engines

            if behind_gate in _engines:
                _engines.pop(behind_gate).dispose()
    assert len(queue.deliveries) == 1  # and the LMS hears of it once


def _late_grade_counts(sessions, student: int) -> bool:
    with sessions() as s:
        return grades.counted_grade(s, assignment="ex08", student_id=student).grade == 0.0
