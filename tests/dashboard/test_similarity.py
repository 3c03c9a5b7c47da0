"""The Similarity page over HTTP, and the service's run on a real (SQLite) database with the real library.

Counted submissions are stored as a worker stores them (``tests.dashboard.reports.add_graded``);
the run is the worker's code (``service.similarity.run`` with ``grader.similarity``), called
in-process here; tests/workers/test_similarity_task.py runs it in a real Celery worker.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

import grader.similarity
from service import similarity
from service.db.similarity_models import SimilarityRun
from tests.conftest import SUBMISSIONS
from tests.dashboard.pages import csrf_of
from tests.dashboard.reports import add_graded
from tests.doubles import MemoryQueue
from tests.similarity.disguise import KINDS, disguise

SOURCE = (SUBMISSIONS / "correct" / "batchnorm_staged_backward.py").read_text()
OTHER = (SUBMISSIONS / "correct" / "dropout_float32_safe.py").read_text()


def seed_class(sessions) -> dict[str, str]:
    """alice wrote SOURCE, bob handed in a disguised copy of it, carol something else."""
    return {name: add_graded(sessions, name, text.encode()) for name, text in [
        ("alice", SOURCE), ("bob", disguise(SOURCE, *KINDS, seed=5)), ("carol", OTHER)]}


def run_check(sessions, queue: MemoryQueue, known_dir=None) -> None:
    """What the worker does with the message the page sent."""
    for run_id in queue.similarity_runs:
        assert similarity.run(sessions, run_id, library=grader.similarity, known_dir=known_dir) == "done"


def test_the_button_queues_a_run_the_worker_flags_the_copy_and_the_page_lists_it(instructor, sessions, queue):
    ids = seed_class(sessions)
    page = instructor.get("/dashboard/similarity")
    assert page.status_code == 200 and "Not run yet" in page.text and "not a verdict" in page.text
    r = instructor.post("/dashboard/similarity/run",
                        data={"assignment": "ex08", "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and len(queue.similarity_runs) == 1
    again = instructor.post("/dashboard/similarity/run",
                            data={"assignment": "ex08", "csrf_token": csrf_of(page.text)})
    assert again.status_code == 200 and len(queue.similarity_runs) == 1  # the queued run, not a second one
    assert "queued" in again.text
    run_check(sessions, queue)
    page = instructor.get("/dashboard/similarity").text
    assert "done" in page and "3 files" in page
    table = page.split('id="pairs"')[1].split("</table>")[0]
    assert "alice" in table and "bob" in table and "carol" not in table
    with sessions() as s:
        (pair,) = similarity.pairs(s, similarity.latest_done(s, "ex08").id)
    assert {pair.a_submission, pair.b_submission} == {ids["alice"], ids["bob"]} and pair.score >= 0.75


def test_side_by_side_highlights_the_matching_lines_and_the_verdict_is_kept(instructor, sessions, queue):
    seed_class(sessions)
    similarity.request_run(sessions(), assignment="ex08", reason="on demand", send=queue.similarity)
    run_check(sessions, queue)
    with sessions() as s:
        (pair,) = similarity.pairs(s, similarity.latest_done(s, "ex08").id)
    page = instructor.get(f"/dashboard/similarity/pairs/{pair.id}")
    assert page.status_code == 200
    side_a = page.text.split('id="side-a"')[1].split('id="side-b"')[0]
    side_b = page.text.split('id="side-b"')[1].split('id="verdict-form"')[0]
    assert side_a.count('class="hll"') >= 10 and side_b.count('class="hll"') >= 10
    assert "dx_norm" in side_a or "dx_norm" in side_b  # the sources themselves
    r = instructor.post(f"/dashboard/similarity/pairs/{pair.id}/verdict",
                        data={"verdict": "confirmed", "note": "same staged backward, renamed",
                              "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert "same staged backward, renamed" in instructor.get(r.headers["location"]).text
    # a later run keeps the verdict: it belongs to the two submissions, not to the run
    similarity.request_run(sessions(), assignment="ex08", reason="on demand", send=queue.similarity)
    queue.similarity_runs[:] = queue.similarity_runs[-1:]
    run_check(sessions, queue)
    listing = instructor.get("/dashboard/similarity").text
    assert "confirmed" in listing.split('id="pairs"')[1]
    rows = list(csv.DictReader(io.StringIO(instructor.get("/dashboard/similarity/export.csv").text)))
    assert len(rows) == 1 and rows[0]["verdict"] == "confirmed"
    assert rows[0]["note"] == "same staged backward, renamed"
    assert {rows[0]["student_a"], rows[0]["student_b"]} == {"alice", "bob"}
    assert float(rows[0]["score"]) >= 0.75
    assert rows[0]["matched_lines_a"] and rows[0]["matched_lines_b"]


def test_a_bad_verdict_is_refused_and_the_page_needs_an_instructor_and_csrf(instructor, sessions, queue,
                                                                            client):
    seed_class(sessions)
    similarity.request_run(sessions(), assignment="ex08", reason="on demand", send=queue.similarity)
    run_check(sessions, queue)
    with sessions() as s:
        (pair,) = similarity.pairs(s, similarity.latest_done(s, "ex08").id)
    csrf = csrf_of(instructor.get("/dashboard/similarity").text)
    bad = instructor.post(f"/dashboard/similarity/pairs/{pair.id}/verdict",
                          data={"verdict": "guilty", "csrf_token": csrf})
    assert bad.status_code == 422
    assert instructor.post(f"/dashboard/similarity/pairs/{pair.id}/verdict",
                           data={"verdict": "dismissed"}).status_code == 403
    assert instructor.get("/dashboard/similarity/pairs/999999").status_code == 404
    instructor.cookies.clear()
    assert instructor.get("/dashboard/similarity", follow_redirects=False).status_code in (303, 401)
    export = instructor.get("/dashboard/similarity/export.csv", follow_redirects=False)
    assert export.status_code in (303, 401)


def test_a_match_with_a_known_solution_names_the_file_and_shows_it(instructor, sessions, queue, tmp_path):
    known = tmp_path / "known"
    (known / "ex08" / "2024").mkdir(parents=True)
    (known / "ex08" / "2024" / "public.py").write_text(OTHER)
    add_graded(sessions, "dave", disguise(OTHER, "rename", "swap", "dead_code", seed=1).encode())
    add_graded(sessions, "erin", SOURCE.encode())
    similarity.request_run(sessions(), assignment="ex08", reason="on demand", send=queue.similarity)
    run_check(sessions, queue, known_dir=known)
    page = instructor.get("/dashboard/similarity").text
    table = page.split('id="known"')[1].split("</table>")[0]
    assert "dave" in table and "2024/public.py" in table and "erin" not in table
    with sessions() as s:
        (pair,) = similarity.pairs(s, similarity.latest_done(s, "ex08").id)
    assert pair.known == "2024/public.py" and pair.b_submission is None
    state = instructor.app.state
    state.settings = state.settings.model_copy(update={"similarity_known_dir": known})
    side_b = instructor.get(f"/dashboard/similarity/pairs/{pair.id}").text.split('id="side-b"')[1]
    assert "2024/public.py" in side_b and 'class="hll"' in side_b


def test_after_the_close_the_sweeper_starts_one_run_per_close(sessions):
    seed_class(sessions)
    sent: list[int] = []
    now = datetime.now(UTC)
    env = {"ex08": {"due_at": (now - timedelta(days=2)).isoformat(), "late_days_max": 1}}
    with sessions() as s:
        assert similarity.request_after_close(s, assignments=["ex08"], env=env, send=sent.append,
                                              now=now - timedelta(days=3)) == []  # not closed yet
        first = similarity.request_after_close(s, assignments=["ex08"], env=env, send=sent.append, now=now)
        assert len(first) == 1 and sent == first
        assert similarity.request_after_close(s, assignments=["ex08"], env=env, send=sent.append,
                                              now=now) == []
        assert s.get(SimilarityRun, first[0]).reason == "after the close"


def test_a_broker_outage_marks_the_run_failed_and_the_next_request_starts_afresh(sessions):
    seed_class(sessions)
    with sessions() as s, pytest.raises(ConnectionError):
        similarity.request_run(s, assignment="ex08", reason="on demand",
                               send=MemoryQueue(down=True).similarity)
    with sessions() as s:
        failed = similarity.latest_run(s, "ex08")
        assert failed.status == "failed" and "could not reach the workers" in failed.error
        fresh = similarity.request_run(s, assignment="ex08", reason="on demand", send=lambda _: None)
        assert fresh.id != failed.id and fresh.status == "queued"


def test_progress_is_stored_while_the_files_are_read(sessions):
    seed_class(sessions)
    seen: list[tuple[int, int]] = []

    class Watching:
        THRESHOLD = grader.similarity.THRESHOLD
        handout = staticmethod(grader.similarity.handout)
        ranked = staticmethod(grader.similarity.ranked)

        @staticmethod
        def document(name, source, **kw):
            with sessions() as s:
                job = similarity.latest_run(s, "ex08")
                seen.append((job.done, job.total))
            return grader.similarity.document(name, source, **kw)

    with sessions() as s:
        run_id = similarity.request_run(s, assignment="ex08", reason="on demand", send=lambda _: None).id
    assert similarity.run(sessions, run_id, library=Watching, known_dir=None, progress_every=1) == "done"
    assert seen == [(0, 3), (1, 3), (2, 3)]
    with sessions() as s:
        assert (similarity.latest_run(s, "ex08").done, similarity.latest_run(s, "ex08").status) == (3, "done")


def test_a_file_the_library_cannot_read_is_left_out_and_the_run_still_ends(sessions):
    seed_class(sessions)
    add_graded(sessions, "mallory", ("def f(a):\n    return " + " + ".join(["a"] * 5000) + "\n").encode())
    with sessions() as s:
        run_id = similarity.request_run(s, assignment="ex08", reason="on demand", send=lambda _: None).id
    assert similarity.run(sessions, run_id, library=grader.similarity, known_dir=None) == "done"
    with sessions() as s:
        (pair,) = similarity.pairs(s, run_id)
        assert {pair.a_student, pair.b_student} == {"alice", "bob"}
        assert similarity.latest_run(s, "ex08").total == 4


def test_a_message_delivered_twice_runs_once_and_a_lost_run_does_not_block_the_next(sessions):
    seed_class(sessions)
    with sessions() as s:
        run_id = similarity.request_run(s, assignment="ex08", reason="on demand", send=lambda _: None).id
    assert similarity.run(sessions, run_id, library=grader.similarity, known_dir=None) == "done"
    assert similarity.run(sessions, run_id, library=grader.similarity, known_dir=None) == "nothing to do"
    sent: list[int] = []
    with sessions() as s:
        stuck = similarity.request_run(s, assignment="ex08", reason="on demand", send=sent.append)
        assert similarity.request_run(s, assignment="ex08", reason="on demand",
                                      send=sent.append).id == stuck.id
        stuck.updated_at = datetime.now(UTC) - timedelta(hours=2)  # its message, or its worker, was lost
        s.commit()
        fresh = similarity.request_run(s, assignment="ex08", reason="on demand", send=sent.append)
        assert fresh.id != stuck.id and sent == [stuck.id, fresh.id]
        s.refresh(stuck)
        assert stuck.status == "failed" and "lost" in stuck.error
