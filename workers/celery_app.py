"""The Celery app. Entry points call :func:`configure` with the settings before using it.

One queue, ``settings.queue`` (default ``grading``), carries one task,
``autograder.grade_submission(id)``. Messages are acknowledged only after the
task ends (``acks_late``) and go back to the queue when the process running
them dies (``reject_on_worker_lost``); each process takes one message at a time.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from api.settings import Settings

log = logging.getLogger(__name__)
app = Celery("autograder", include=["workers.tasks", "workers.lms_tasks"])
SETTINGS: Settings | None = None


def configure(settings: Settings) -> Celery:
    """Configure the worker's app (the one the task is registered on) from ``settings``."""
    global SETTINGS
    SETTINGS = settings
    app.conf.update(options(settings))
    return app


def client(settings: Settings) -> Celery:
    """A separate app for a process that only sends (the API, the sweeper, tests): its own connections."""
    sender = Celery("autograder-client")
    sender.conf.update(options(settings))
    # Fail fast when the broker is down: the row is in the database and the sweeper sends it later.
    sender.conf.broker_transport_options = {**sender.conf.broker_transport_options, "max_retries": 1,
                                            "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
    return sender


def options(settings: Settings) -> dict[str, Any]:
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
        task_routes={"autograder.grade_submission": {"queue": settings.queue}},
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_time_limit=settings.task_time_limit_s,
        worker_prefetch_multiplier=1,
        worker_concurrency=settings.worker_concurrency,
        worker_pool="prefork",
        worker_proc_alive_timeout=300,  # warm-up imports torch and Lightning (5-10 s) before "up"
        worker_hijack_root_logger=False,
    )


@signals.worker_process_init.connect
def _init_process(**_: Any) -> None:
    assert SETTINGS is not None, "call workers.celery_app.configure(settings) first"
    from workers import tasks

    tasks.init_process(SETTINGS)


@signals.worker_process_shutdown.connect
def _shutdown_process(**_: Any) -> None:
    from workers import tasks

    tasks.shutdown_process()


@signals.worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    assert SETTINGS is not None
    from workers.sweeper import start

    start(SETTINGS)
