"""A real Celery worker subprocess (``autograder worker``) for the service tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
REAL = ["-m", "autograder.cli", "worker"]
FAKE = ["-m", "tests.workers.fake_worker"]
"""How to start the worker: the real command, or the same worker with the fake grader injected."""


class Worker:
    def __init__(self, *, database_url: str, redis_url: str, log: Path, grader: list[str] = REAL,
                 concurrency: int = 1, **extra: str) -> None:
        self.redis_url, self.log = redis_url, log
        self.env = {**os.environ, "AUTOGRADER_ENV": "development", "DATABASE_URL": database_url,
                    "REDIS_URL": redis_url,
                    "AUTOGRADER_WORKER_CONCURRENCY": str(concurrency), "AUTOGRADER_TRAINING": "false",
                    **extra}
        if "BROKER_URL" not in extra:
            self.env.pop("BROKER_URL", None)
        self.concurrency, self.command = concurrency, grader
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> Worker:
        out = open(self.log, "ab")  # noqa: SIM115 - owned by the child
        self.proc = subprocess.Popen([sys.executable, *self.command], cwd=ROOT, env=self.env,
                                     stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        """Ready when every pool process has warmed up and announced itself."""
        r = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
            pids = self._pool_pids()
            if pids and sum(r.exists(k) for k in r.scan_iter("autograder:workers:*")
                            if int(k.rsplit(b":", 1)[1]) in pids) >= self.concurrency:
                return
            time.sleep(0.1)
        raise TimeoutError(self.log.read_text()[-3000:])

    def _pool_pids(self) -> set[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True,
                             text=True)
        return {int(p) for p in out.stdout.split()}

    def kill9(self) -> None:
        """SIGKILL the whole worker (main process and pool), as a crashed machine would."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()  # the main process only: a warm shutdown lets running tasks finish
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything left of the pool
        self.proc.wait()
        self.proc = None

    def outcomes(self) -> list[str]:
        """``submission <id>: <outcome>`` lines the task logged."""
        return [line.split("submission ", 1)[1] for line in self.log.read_text().splitlines()
                if "submission " in line and ": " in line.split("submission ", 1)[1]]

    def wait_for_outcomes(self, count: int, timeout: float = 30) -> list[str]:
        """The outcomes once ``count`` are logged (or the timeout passed): the task logs its outcome after the
        'graded' event a client waits for, so a read right after that event can come before the line."""
        deadline = time.monotonic() + timeout
        while len(found := self.outcomes()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return found
