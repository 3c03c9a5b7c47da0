"""The worker's Celery app. :func:`run` configures it and starts the worker; nothing else starts one.

The configuration is the senders' own (:func:`service.task_sender.celery_options`),
so the queue and the acknowledgement rules cannot drift apart. The grader is
injected: :func:`run` takes the callable that makes one per assignment (the
real ``grader.runner.Grader`` from the CLI, a double in tests).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, signals

from service.settings import Settings
from service.task_sender import celery_options
from workers.pool_process import MakeGrader

log = logging.getLogger(__name__)
app = Celery("autograder", include=["workers.tasks", "workers.lms_callbacks"])


class _Config:
    """What :func:`run` was given, read by the pool processes it forks."""

    settings: Settings | None = None
    make_grader: MakeGrader | None = None


CONFIG = _Config()


def configure(settings: Settings, make_grader: MakeGrader | None = None) -> Celery:
    """Configure the app (the one the tasks are registered on) from ``settings``."""
    CONFIG.settings, CONFIG.make_grader = settings, make_grader
    app.conf.update(celery_options(settings))
    return app


def settings() -> Settings:
    assert CONFIG.settings is not None, "call workers.celery_app.configure(settings) first"
    return CONFIG.settings


def run(settings: Settings, *, make_grader: MakeGrader, loglevel: str = "INFO") -> None:
    """Start a worker on ``settings.queue`` with ``settings.worker_concurrency`` prefork processes."""
    configure(settings, make_grader).worker_main(
        ["worker", "-Q", settings.queue, "-c", str(settings.worker_concurrency), "--loglevel", loglevel,
         "--without-gossip", "--without-mingle"])


@signals.worker_process_init.connect
def _init_process(**_: Any) -> None:
    from workers import tasks

    assert CONFIG.make_grader is not None, "workers.celery_app.run(settings, make_grader=...) starts workers"
    tasks.init_process(settings(), CONFIG.make_grader)


@signals.worker_process_shutdown.connect
def _shutdown_process(**_: Any) -> None:
    from workers import tasks

    tasks.shutdown_process()


@signals.worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    from workers.sweeper import start

    start(settings())
