"""What a student may see of a report: hidden tests stay hidden until ``hidden_tests_release_at``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

HIDDEN = ("hidden", "after_due_date", "after_published")


def hidden(test: dict[str, Any], *, release_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a student must not see this test's details yet."""
    return test.get("visibility", "visible") in HIDDEN and not released(release_at, now)


def _redacted(test: dict[str, Any]) -> dict[str, Any]:
    """A hidden test as a student sees it: its number, nothing else."""
    return {"number": test.get("number"), "name": "hidden test", "status": "hidden", "score": None,
            "max_score": None, "output": "", "hint": "", "visibility": "hidden", "tags": [], "data": {}}


def test_event_for_student(event: dict[str, Any], *, release_at: datetime | None) -> dict[str, Any]:
    """A per-test progress event with a hidden test's name, status and points removed."""
    if not hidden(event, release_at=release_at):
        return event
    return {"id": event.get("id"), **_redacted(event)}


def released(release_at: datetime | None, now: datetime | None = None) -> bool:
    if release_at is None:
        return False
    at = release_at if release_at.tzinfo else release_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) >= at


def for_student(report: dict[str, Any] | None, *, release_at: datetime | None,
                now: datetime | None = None) -> dict[str, Any] | None:
    """The report with hidden tests reduced to a name, and the score counting visible tests only."""
    if report is None or released(release_at, now):
        return report
    tests = [_redacted(t) if t.get("visibility", "visible") in HIDDEN else t for t in report.get("tests", [])]
    shown = [t for t in tests if t["status"] != "hidden"]
    return {**report, "tests": tests, "score": sum(t.get("score") or 0 for t in shown),
            "max_score": sum(t.get("max_score") or 0 for t in shown),
            "hidden_count": len(tests) - len(shown), "release_at": release_at.isoformat() if release_at else None}
