"""When an assignment's effective schedule changes: recompute the grades it changes, then send them.

It changes at start-up (the data file and the environment are read then) and when
the dashboard saves a schedule or an extension; never when a page is read.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from service import grades
from service.db.session import session_factory
from service.lms import delivery
from service.settings import Settings
from service.task_sender import TaskQueue

log = logging.getLogger(__name__)


def apply(*, session: Session, queue: TaskQueue, settings: Settings, assignment: str) -> list[int]:
    """Recompute the assignment's grades with its effective schedule when that is not the applied one, and
    send each LMS student whose counted grade changed the new one; returns those students."""
    changed = grades.apply(session, settings.schedule, assignment)
    send(session=session, queue=queue, assignment=assignment, students=changed)
    return changed


def apply_all(*, settings: Settings, queue: TaskQueue) -> None:
    """:func:`apply` for every assignment graded here (the API's start-up)."""
    with session_factory(settings.database)() as session:
        for assignment in settings.assignment_ids:
            if changed := apply(session=session, queue=queue, settings=settings, assignment=assignment):
                log.info("schedule of %s applied: %d counted grades changed", assignment, len(changed))


def send(*, session: Session, queue: TaskQueue, assignment: str, students: list[int]) -> None:
    """The LMS gets the new counted grade of these students."""
    for delivery_id in delivery.schedule_changed(session, assignment, students) if students else []:
        queue.deliver(delivery_id)
