"""A worker takes no submission before it is warm: the message waits in the broker, not in a warming
worker."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from service.task_sender import TaskSender
from tests.workers.service import Worker

pytestmark = pytest.mark.service


def test_a_message_sent_before_the_warm_up_stays_in_the_broker_until_the_worker_is_warm(settings, redis_url,
                                                                                      tmp_path):
    settings = settings.model_copy(update={"redis_url": redis_url, "queue": f"grading-warm-{time.time_ns()}"})
    r = redis.Redis.from_url(redis_url)
    TaskSender(settings).enqueue("sent-before-warm-up")
    samples: list[tuple[int, bool]] = []
    stop = threading.Event()

    def watch() -> None:  # the queue first, then the heartbeats: a pair (0, False) means taken while cold
        while not stop.is_set():
            waiting = r.llen(settings.queue)
            warm = any(True for _ in r.scan_iter("autograder:workers:*"))
            samples.append((waiting, warm))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    worker = Worker(database_url=settings.database, redis_url=redis_url, log=tmp_path / "worker.log",
                    AUTOGRADER_QUEUE=settings.queue)
    try:
        worker.start()  # the real grader: imports torch, warms up (seconds), then announces itself
        deadline = time.monotonic() + 30
        while "sent-before-warm-up: skipped" not in worker.outcomes():
            assert time.monotonic() < deadline, worker.log.read_text()[-2000:]
            time.sleep(0.1)
    finally:
        stop.set()
        watcher.join()
        worker.stop()
    cold = [waiting for waiting, warm in samples if not warm]
    assert cold and all(waiting == 1 for waiting in cold)  # never taken while the worker was warming up
