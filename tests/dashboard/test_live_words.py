"""A report page says what its submission waits for, in words, before any event arrives: held (behind the
student's earlier upload, with its place in line), queued (its number in the queue); a shared link's page,
which has no event stream, looks again until the state is final."""

from __future__ import annotations

from urllib.parse import urlsplit

from service import report_links
from service.db.models import Student, Submission
from tests.dashboard.test_pages import student_client


def add(sessions, name: str, status: str) -> str:
    with sessions() as s:
        who = s.query(Student).filter_by(name=name).one()
        row = Submission(student_id=who.id, assignment="ex08", content=b"x = 1\n", sha256="0" * 64, status=status)
        s.add(row)
        s.commit()
        return row.id


def test_held_and_queued_say_why_they_wait(dash_settings, sessions):
    with student_client(dash_settings, sessions, "wes") as wes:
        queued, held = add(sessions, "wes", "queued"), add(sessions, "wes", "held")
        page = wes.get(f"/student/submissions/{queued}").text
        assert "waiting for a free worker: number 1 in the queue" in page and "data-events=" in page
        page = wes.get(f"/student/submissions/{held}").text
        assert "waiting for your earlier upload to finish grading" in page and "(number 2 in line)" in page
        with sessions() as s:
            link = urlsplit(report_links.report_link(dash_settings, held, session=s)).path
        shared = wes.get(link).text
        assert 'data-poll="5000"' in shared and "data-events=" not in shared
