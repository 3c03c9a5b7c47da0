"""LTI course rosters: ``autograder.refresh_roster(context_pk)`` fetches one course's Names and Roles
membership (:func:`service.lti.roster.refresh`); the sweeper sends it for rosters older than
``lti_roster_refresh_s`` (:func:`request_due`). A failure is kept on the course (the dashboard's LTI page
shows it) and the next schedule tries again."""

from __future__ import annotations

import logging

from service.db.session import session_factory
from service.lti import roster
from service.settings import Settings
from service.task_sender import ROSTER, TaskSender
from workers import celery_app
from workers.celery_app import app

log = logging.getLogger(__name__)


def request_due(settings: Settings) -> list[int]:
    """Called by the sweeper: send a refresh for each course whose roster is due (claimed: sent once)."""
    with session_factory(settings.database)() as s:
        ids = roster.due(s, settings)
    for context_pk in ids:
        TaskSender(settings, app=app).refresh_roster(context_pk)
    return ids


@app.task(name=ROSTER, acks_late=True, ignore_result=True)
def refresh_roster(context_pk: int) -> None:
    settings = celery_app.settings()
    with session_factory(settings.database)() as s:
        try:
            synced = roster.refresh(s, context_pk, settings)
        except Exception as e:  # noqa: BLE001 - kept on the course; the schedule tries again
            log.warning("roster of LTI course %s not refreshed: %s", context_pk, e)
            return
    log.info("roster of LTI course %s: %s", context_pk, synced)
