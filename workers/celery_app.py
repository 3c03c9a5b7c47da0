"""The worker's Celery app. :func:`run` configures it and starts the worker; nothing else starts one.

The configuration is the senders' own (:func:`service.task_sender.celery_options`),
so the queue and the acknowledgement rules cannot drift apart. The grader is
injected: :func:`run` takes the callable that makes one per assignment (the
real ``grader.runner.Grader`` from the CLI, a double in tests).

A worker takes no message before its pool processes are warm (:class:`WarmGate`):
otherwise a worker still importing torch would reserve a submission and sit on
it for the whole warm-up while a warm worker next to it is idle.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, bootsteps, signals

from service.settings import Settings
from service.task_sender import celery_options
from workers.pool_process import MakeGrader

log = logging.getLogger(__name__)
app = Celery("autograder", include=["workers.tasks", "workers.lms_callbacks", "workers.lti_roster",
                                    "workers.similarity"])


class _Config:
    """What :func:`run` was given, read by the pool processes it forks."""

    settings: Settings | None = None
    make_grader: MakeGrader | None = None


CONFIG = _Config()


class WarmGate(bootsteps.StartStopStep):
    """Consume the grading queue only once every pool process has warmed up and announced itself.

    Runs after the consumer's task step, before its event loop asks the broker
    for anything: it stops consuming the queue, then checks every
    ``POLL_S`` (in the consumer's own loop) for the pool processes' heartbeats.
    Only the first start waits: after a reconnect the processes are warm.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)
    POLL_S = 0.25

    def __init__(self, c: Any, **kwargs: Any) -> None:
        super().__init__(c, **kwargs)
        self.opened = False

    def start(self, c: Any) -> None:
        from service import heartbeats

        redis = heartbeats.client(settings().redis_url)
        if self.opened or redis is None:  # no heartbeats to wait for: take work at once
            return
        queue = settings().queue
        c.cancel_task_queue(queue)
        log.info("waiting for the pool processes to warm up before taking submissions")

        def check() -> None:
            if self.opened or not _pool_warm(c, redis):
                return
            self.opened = True
            entry.cancel()
            c.add_task_queue(queue)
            log.info("pool warm: taking submissions from %s", queue)

        entry = c.timer.call_repeatedly(self.POLL_S, check)


def _pool_warm(c: Any, redis: Any) -> bool:
    """Whether every pool process has a heartbeat (it writes one only after its warm-up)."""
    from service import heartbeats

    try:
        pids = set(c.pool.info.get("processes") or [])
        beating = {p.get("pid") for p in heartbeats.alive(redis)}
    except Exception:  # noqa: BLE001 - Redis restarting or the pool (re)starting: ask again
        return False
    return bool(pids) and pids <= beating


app.steps["consumer"].add(WarmGate)


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
