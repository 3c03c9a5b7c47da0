"""What happens after a report is stored. The LMS helper registers its delivery step here.

A hook gets the submission id once, after the report is committed; it must be
idempotent and quick (enqueue its own task for slow work such as callbacks).
A failing hook is logged and never undoes the grade.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
Hook = Callable[[str], None]
_on_graded: list[Hook] = []


def on_graded(fn: Hook) -> Hook:
    """Register ``fn(submission_id)`` to run after each stored report (usable as a decorator)."""
    if fn not in _on_graded:
        _on_graded.append(fn)
    return fn


def fire_graded(submission_id: str) -> None:
    for fn in list(_on_graded):
        try:
            fn(submission_id)
        except Exception:  # noqa: BLE001
            log.exception("on_graded hook %s failed for %s", getattr(fn, "__name__", fn), submission_id)
