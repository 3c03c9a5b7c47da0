"""What a launch tells us about its course: the course and its roster kept, the assignment's line item, a
roster refresh sent to a worker (at most every ``lti_roster_min_interval_s`` per course)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from service.lti import line_items, roster
from service.lti.launch import Outcome
from service.settings import Settings
from service.task_sender import TaskQueue

log = logging.getLogger(__name__)


def entered(session: Session, *, outcome: Outcome, claims: dict[str, Any], settings: Settings,
            queue: TaskQueue) -> Outcome:
    """The launch's outcome with its line item; the course remembered, its roster refreshed when due."""
    context = roster.remember(session, platform=outcome.platform, claims=claims,
                              lineitems_url=line_items.container(claims))
    try:
        outcome = line_items.with_line_item(session, outcome, claims, context=context, settings=settings)
    except Exception as e:  # noqa: BLE001 - the student still works here; only the grade stays local
        session.rollback()
        log.warning("LTI: no line item for %s: %s", outcome.student_name, e)
    if context is not None and roster.claim(session, context.id, every_s=settings.lti_roster_min_interval_s):
        request_refresh(queue, context.id)
    return outcome


def request_refresh(queue: TaskQueue, context_pk: int) -> bool:
    """Send the roster refresh to a worker; False (logged) when the broker cannot be reached."""
    try:
        queue.refresh_roster(context_pk)
    except Exception:  # noqa: BLE001 - broker away: the sweeper's schedule sends it later
        log.warning("LTI: could not send the roster refresh of course %s", context_pk, exc_info=True)
        return False
    return True
