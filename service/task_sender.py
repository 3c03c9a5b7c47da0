"""Sending work to the workers: the one place that knows task names and how messages travel.

Four tasks exist, ``autograder.grade_submission(id)``,
``autograder.deliver_callback(delivery_id)``, ``autograder.refresh_roster(context_pk)``
(an LTI course's roster, :mod:`service.lti.roster`) and ``autograder.similarity_run(run_id)``
(:mod:`service.similarity`). The API, the dashboard, the
sweeper and the workers themselves all send through :class:`TaskSender`, by
name, so no sender imports the task modules (nor, through them, the grader).
:func:`celery_options` is the configuration both the sending app and the
worker's app use, so they always agree on queues and acknowledgement rules.
"""

from __future__ import annotations

from typing import Any, Protocol

from celery import Celery

from service.settings import Settings

GRADE = "autograder.grade_submission"
DELIVER = "autograder.deliver_callback"
ROSTER = "autograder.refresh_roster"
SIMILARITY = "autograder.similarity_run"


class TaskQueue(Protocol):
    """The boundary the intake and the sweeper send through (tests pass an in-memory one)."""

    def enqueue(self, submission_id: str) -> None:
        """Ask a worker to grade this submission; raises when the broker cannot be reached."""
        ...

    def deliver(self, delivery_id: int, *, countdown: float | None = None) -> None:
        """Ask a worker to attempt this LMS delivery (after ``countdown`` seconds)."""
        ...

    def refresh_roster(self, context_pk: int) -> None:
        """Ask a worker to fetch this LTI course's roster (Names and Roles)."""
        ...

    def similarity(self, run_id: int) -> None:
        """Ask a worker to run this similarity check (``service.similarity``)."""
        ...


class TaskSender:
    """The real one: a Celery client app on the settings' broker, sending tasks by name.

    A worker passes its own configured ``app`` (sharing its broker connections);
    everyone else gets a client app of their own.
    """

    def __init__(self, settings: Settings, app: Celery | None = None) -> None:
        if app is not None:
            self.app = app
            return
        self.app = Celery("autograder-client")
        self.app.conf.update(celery_options(settings))
        # Fail fast when the broker is down: the row is in the database and the sweeper sends it later.
        self.app.conf.broker_transport_options = {
            **self.app.conf.broker_transport_options, "max_retries": 1,
            "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

    def enqueue(self, submission_id: str) -> None:
        self.app.send_task(GRADE, (submission_id,), retry=False)

    def deliver(self, delivery_id: int, *, countdown: float | None = None) -> None:
        self.app.send_task(DELIVER, (delivery_id,), countdown=countdown, retry=False)

    def refresh_roster(self, context_pk: int) -> None:
        self.app.send_task(ROSTER, (context_pk,), retry=False)

    def similarity(self, run_id: int) -> None:
        self.app.send_task(SIMILARITY, (run_id,), retry=False)

    def waiting_messages(self) -> int | None:
        """Messages waiting in the grading queue (not yet taken by a worker); None when the broker can't say.

        The sweeper compares it with the database's queued rows: fewer means the
        broker lost some (a Redis restart), and only then does it re-send.
        """
        from kombu.transport.virtual import Channel as VirtualChannel

        try:
            with self.app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1)
                channel = conn.default_channel
                # Declaring is a no-op on Redis (and an empty Redis queue does not exist);
                # on AMQP only a passive declare leaves the workers' queue arguments alone.
                passive = not isinstance(channel, VirtualChannel)
                return int(channel.queue_declare(queue=self.app.conf.task_default_queue,
                                                 passive=passive).message_count)
        except Exception:  # noqa: BLE001 - broker away or the queue unknown: say nothing
            return None


def celery_options(settings: Settings) -> dict[str, Any]:
    """Celery configuration shared by senders and workers.

    Messages are acknowledged only after the task ends (``acks_late``) and go
    back to the queue when the process running them dies
    (``reject_on_worker_lost``); each process takes one message at a time.
    """
    return dict(
        broker_url=settings.broker,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # Redis restarting must not end the worker
        # Redis redelivers an unacked message after this; longer than any task may run.
        broker_transport_options={"visibility_timeout": settings.task_time_limit_s + 60},
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=settings.queue,
        task_routes={name: {"queue": settings.queue} for name in (GRADE, DELIVER, ROSTER, SIMILARITY)},
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_time_limit=settings.task_time_limit_s,
        # a similarity run reads every counted submission: its own budget, not a grading's
        task_annotations={SIMILARITY: {"soft_time_limit": settings.similarity_time_limit_s,
                                       "time_limit": settings.similarity_time_limit_s + 60}},
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        worker_pool="prefork",
        worker_proc_alive_timeout=300,  # warm-up imports torch and Lightning (5-10 s) before "up"
        worker_hijack_root_logger=False,
    )
