"""How every page writes a date, a number of points, a hint and a free test: one way, as Jinja filters.

Installed on both template environments (the dashboard's and the LTI pages'), so a student and an
instructor read the same words for the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

ZERO_POINT_WHY = {"given": "handed out in the template: reported, worth no points",
                  "informational": "informational: what it sees is scored by other tests"}


def when(value: datetime | None, seconds: bool = False) -> Markup:
    """``2026-12-01 12:00 UTC`` in a ``<time>`` element (stored times without a zone are UTC)."""
    if value is None:
        return Markup("")
    at = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    shown = at.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")
    return Markup(f'<time datetime="{at.isoformat()}">{shown}</time>')


def when_typed(value: datetime | None) -> str:
    """A date as a form shows it for editing, in the same format (seconds only when there are some)."""
    if value is None:
        return ""
    at = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC" if at.second else "%Y-%m-%d %H:%M UTC")


def points(value: float | None) -> str:
    """``18.9``, ``21``, ``0.5``: at most two decimals, no trailing zeros; ``–`` for none."""
    return "–" if value is None else f"{round(float(value), 2):g}"


def hint_title(key: str) -> str:
    """A recognised mistake's title as students read it: ``keep_convention`` -> ``Keep convention``."""
    return key.replace("_", " ").capitalize()


def without_hint(output: str, hint: str, mistakes: list[dict[str, Any]]) -> str:
    """A test's feedback without the hint the grader appended to it: the page shows each recognised
    mistake's explanation once, above the tests it cost. The text to leave out is the report's own
    (its mistake's ``summary``), so a stored report reads the same whatever the grader says today."""
    text = next((m.get("summary", "") for m in mistakes if m.get("hint") == hint), "")
    tail = f"\n\nHint: {text}"
    return output[: -len(tail)] if text and output.endswith(tail) else output


def zero_point_why(assignment: str) -> dict[str, str]:
    """Why each 0-point test of ``assignment`` is worth nothing, by test number (empty if unknown)."""
    from grader.assignments import UnknownAssignment, load

    try:
        tests = load(assignment).tests
    except UnknownAssignment:
        return {}
    return {t.number: ZERO_POINT_WHY["given" if t.given else "informational"] for t in tests if t.points == 0}


def one_cause(report: dict[str, Any] | None) -> str:
    """The one message when every test shown ended in the same error (a file that cannot be imported); else
    ``""``.

    Such a report is shown as one banner with the message, and its tests as "not run".
    """
    shown = [t for t in (report or {}).get("tests", []) if t.get("status") != "hidden"]
    if len(shown) < 2 or any(t.get("status") not in ("error", "timeout") for t in shown):
        return ""
    messages = {t.get("output", "") for t in shown}
    return messages.pop() if len(messages) == 1 else ""


def install(env: Any) -> None:
    """Add the filters (``when``, ``points``, ``hint_title``, ``without_hint``) and globals
    (``zero_point_why``, ``one_cause``)."""
    env.filters.update(when=when, when_typed=when_typed, points=points, hint_title=hint_title,
                       without_hint=without_hint)
    env.globals.update(zero_point_why=zero_point_why, one_cause=one_cause)

