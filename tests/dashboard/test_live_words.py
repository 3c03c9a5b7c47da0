"""A report page says what its submission waits for, in words, before any event arrives: held (behind the
student's earlier upload, with its place in line), queued (its number in the queue). Every report page then
follows its submission over the same progress stream, behind what opens the page: the student's session, a
shared report link, the instructor's session; the stream carries states and a count, nothing of the report."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from service import report_links
from service.db.models import Student, Submission
from tests.dashboard.pages import RIGHT, WRONG, student_client
from tests.dashboard.reports import add_graded


def add(sessions, name: str, status: str) -> str:
    with sessions() as s:
        who = s.query(Student).filter_by(name=name).one()
        row = Submission(student_id=who.id, assignment="ex08", content=b"x = 1\n", sha256="0" * 64,
                         status=status)
        s.add(row)
        s.commit()
        return row.id


def link_path(settings, sessions, sid: str) -> str:
    with sessions() as s:
        return urlsplit(report_links.report_link(settings, sid, session=s)).path


def sse(text: str) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a finished Server-Sent Events answer."""
    events, name = [], ""
    for line in text.splitlines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line[5:])))
    return events


def test_held_and_queued_say_why_they_wait(dash_settings, sessions):
    with student_client(dash_settings, sessions, "wes") as wes:
        queued, held = add(sessions, "wes", "queued"), add(sessions, "wes", "held")
        page = wes.get(f"/student/submissions/{queued}").text
        assert "waiting for a free worker: number 1 in the queue" in page
        assert f'data-events="/student/submissions/{queued}/events"' in page
        page = wes.get(f"/student/submissions/{held}").text
        assert "waiting for your earlier upload to finish grading" in page and "(number 2 in line)" in page
        link = link_path(dash_settings, sessions, held)
        shared = wes.get(link).text  # the link's own address, plus /events: no new secret in a URL
        assert f'data-events="{link}/events"' in shared and "waiting for your earlier upload" in shared
        assert "data-poll" not in shared and "reload this page to see where it stands" in shared  # no JS


def test_a_finished_report_has_nothing_to_follow(dash_settings, sessions):
    with student_client(dash_settings, sessions, "vic") as vic:
        sid = add_graded(sessions, "vic", RIGHT)
        for path in (f"/student/submissions/{sid}", link_path(dash_settings, sessions, sid)):
            page = vic.get(path).text
            assert 'data-status="graded"' in page and "data-events" not in page


def test_a_shared_link_follows_its_submission_without_hidden_details(dash_settings, sessions, client):
    sid = add_graded(sessions, "uma", WRONG)  # its report has a hidden test; no release date
    link = link_path(dash_settings, sessions, sid)
    r = client.get(f"{link}/events")  # nobody signed in: the link is the key, as for its page
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert "HIDDEN-DETAIL" not in r.text and "hidden gradient check" not in r.text and "score" not in r.text
    events = sse(r.text)
    assert [e for e, _ in events] == ["test"] * 4 + ["graded"]  # replayed from the stored report: a count
    assert [d for _, d in events] == [{"done": n} for n in (1, 2, 3, 4)] + [{"id": sid}]
    assert client.get(f"{link[:-3]}abc/events").status_code == 404  # forged
    with sessions() as s:
        report_links.revoke(s, sid)
    assert client.get(f"{link}/events").status_code == 404  # revoked: refused, as the page is


def test_the_instructor_page_follows_its_submission(instructor, dash_settings, sessions):
    with student_client(dash_settings, sessions, "tom") as tom:
        add(sessions, "tom", "queued")
        held = add(sessions, "tom", "held")
        page = instructor.get(f"/dashboard/submissions/{held}").text
        assert f'data-events="/dashboard/submissions/{held}/events"' in page
        assert "waiting for the student&#39;s earlier upload to finish grading" in page
        assert "(number 2 in line)" in page and "/dashboard/static/progress.js" in page
        graded = add_graded(sessions, "tom", WRONG)
        assert "data-events" not in instructor.get(f"/dashboard/submissions/{graded}").text
        r = instructor.get(f"/dashboard/submissions/{graded}/events")
        assert r.status_code == 200 and sse(r.text)[-1] == ("graded", {"id": graded})
        # the instructor's session, not a student's: the stream is refused like the page
        assert tom.get(f"/dashboard/submissions/{graded}/events", follow_redirects=False).status_code == 303
        assert instructor.get("/dashboard/submissions/nope/events").status_code == 404
