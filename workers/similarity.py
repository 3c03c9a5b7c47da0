"""The similarity task: thin, the service runs it with the grading library's comparison
(``grader.similarity``)."""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

import grader.similarity
from service import similarity
from service.db.session import session_factory
from service.task_sender import SIMILARITY
from workers.celery_app import app, settings

log = logging.getLogger(__name__)


@cache
def _sessions() -> sessionmaker[Session]:
    return session_factory(settings().database)


@app.task(name=SIMILARITY, acks_late=True, reject_on_worker_lost=True)
def similarity_run(run_id: int) -> str:
    outcome = similarity.run(_sessions(), run_id, library=grader.similarity,
                             known_dir=settings().similarity_known_dir)
    log.info("similarity run %s: %s", run_id, outcome)
    return outcome
