"""What a student may see of a report: hidden tests stay hidden until ``hidden_tests_release_at``.

Instructors see the stored report as it is. A student gets :func:`for_student`
(the report with each hidden test reduced to its number, the score counting
visible tests only, the mistakes without hidden tests, and not what the code
printed, since hidden tests' calls print too: ``printed_withheld`` says so), the submission's
``error`` through :func:`error_for_student` and, while grading runs, progress
events passed through :func:`test_event_for_student`.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from grader.report import Report

HIDDEN = ("hidden", "after_due_date", "after_published")
ERROR_FOR_STUDENT = ("Grading failed on our side, not because of your code; "
                     "it is retried or you may submit again.")


def released(release_at: datetime | None, now: datetime | None = None) -> bool:
    if release_at is None:
        return False
    at = release_at if release_at.tzinfo else release_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) >= at


def hidden(visibility: str | None, *, release_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a student must not see the details of a test of this visibility yet."""
    return (visibility or "visible") in HIDDEN and not released(release_at, now)


def redacted(number: str | None) -> dict[str, Any]:
    """A hidden test as a student sees it: its number, nothing else."""
    return {"number": number, "name": "hidden test", "status": "hidden", "score": None,
            "max_score": None, "output": "", "hint": "", "visibility": "hidden", "tags": [], "data": {}}


def test_event_for_student(event: dict[str, Any], *, release_at: datetime | None) -> dict[str, Any]:
    """A per-test progress event (``report_view.test_summary``) with a hidden test's details removed."""
    if not hidden(event.get("visibility"), release_at=release_at):
        return event
    return {"id": event.get("id"), **redacted(event.get("number"))}


def for_student(report: Report | None, *, release_at: datetime | None,
                now: datetime | None = None) -> dict[str, Any] | None:
    """The report's JSON with hidden tests reduced to a number, and the score counting visible tests only."""
    if report is None:
        return None
    full = report.to_dict()
    if released(release_at, now):
        return full
    shown = [t for t in report.tests if not hidden(t.visibility, release_at=release_at, now=now)]
    tests = [redacted(t["number"]) if hidden(t["visibility"], release_at=release_at, now=now) else t
             for t in full["tests"]]
    withheld = len(shown) < len(tests) and bool(report.printed)  # hidden tests' calls print too
    mistakes = [asdict(m) for m in report.mistakes_shown({t.number for t in shown})]
    return {**full, "tests": tests, "score": sum(t.score for t in shown),
            "printed": "" if withheld else report.printed, "printed_withheld": withheld,
            "mistakes": mistakes, "max_score": sum(t.max_score for t in shown),
            "hidden_count": len(tests) - len(shown),
            "release_at": release_at.isoformat() if release_at else None}


def error_for_student(error: str | None, *, release_at: datetime | None) -> str | None:
    """A submission's ``error`` (ours: it may name hidden tests) as a student sees it."""
    return error if error is None or released(release_at) else ERROR_FOR_STUDENT
