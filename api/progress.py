"""A report page's live progress as the server renders it, before the first event: the state in words (the
template ``_progress.html``), the place in the queue, the number of tests, and the address of the event
stream the page then follows (``static/progress.js``, :func:`api.sse_stream.progress_response`).

The student's report, a shared report link's page and the instructor's submission page all show it; each
route passes the stream behind what already lets its viewer open the page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from grader.assignments import UnknownAssignment, load
from service import intake
from service.db.models import Submission

WAITING = ("held", "queued")
UNFINISHED = ("held", "queued", "running")


def context(session: Session, row: Submission, *, events: str) -> dict[str, Any]:
    """The template's ``events`` (empty once grading ended: nothing left to follow), ``position`` and
    ``total_tests``."""
    return {"events": events if row.status in UNFINISHED else "",
            "position": intake.queue_position(session, row) if row.status in WAITING else None,
            "total_tests": test_count(row.assignment)}


def test_count(assignment: str) -> int | None:
    """How many tests a submission of this assignment runs (progress shows "N of M tests")."""
    try:
        return len(load(assignment).tests)
    except UnknownAssignment:
        return None
