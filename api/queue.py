"""Sending a submission id to the workers: one small boundary with a real and an in-memory version."""

from __future__ import annotations

import logging
from typing import Protocol

from api.settings import Settings

log = logging.getLogger(__name__)
TASK = "autograder.grade_submission"


class TaskQueue(Protocol):
    def enqueue(self, submission_id: str) -> None:
        """Ask a worker to grade this submission; raises when the broker cannot be reached."""
        ...


class CeleryQueue:
    """The real queue: the ``grade_submission`` task on the Celery app's broker."""

    def __init__(self, settings: Settings) -> None:
        from workers.celery_app import client

        self.app = client(settings)

    def enqueue(self, submission_id: str) -> None:
        # By name: the API never imports the task module (nor, through it, the grader).
        self.app.send_task(TASK, (submission_id,), retry=False)


class MemoryQueue:
    """For unit tests: remembers what was enqueued; ``down=True`` simulates a broker outage."""

    def __init__(self, down: bool = False) -> None:
        self.sent: list[str] = []
        self.down = down

    def enqueue(self, submission_id: str) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append(submission_id)
