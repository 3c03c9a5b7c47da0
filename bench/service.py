"""End-to-end latency, upload → stored report, beside in-process grading of the same submission.

Real Redis (private), SQLite, the API in a thread (uvicorn), ``autograder worker``
subprocesses, the real grader.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "reference" / "ex08" / "layers.py").read_bytes()
N, BURST = int(os.environ.get("BENCH_N", "20")), int(os.environ.get("BENCH_BURST", "500"))


def in_process(training: bool = False, n: int = N) -> list[float]:
    """The real grader, in this process: a benchmark of a stand-in would measure nothing."""
    from grader.runner import Grader

    g = Grader("ex08")
    g.warm_up()
    times = []
    for i in range(n):
        t = time.perf_counter()
        g.grade(SOURCE, seed=i % 2, training=training)
        times.append(time.perf_counter() - t)
    g.close()
    return times


class Service:
    """``students`` tokens (fair queueing grades one submission per student at a time); ``options``
    are settings for the API and the worker alike (``max_waiting_per_student=25``)."""

    def __init__(self, tmp: Path, concurrency: int, training: bool = False, students: int = 1,
                 **options: object) -> None:
        from service.db.migrate import upgrade
        from service.private_redis import PrivateRedis
        from service.settings import Settings

        self.redis = PrivateRedis(tmp / "redis").start()
        self.settings = Settings(env="development", data_dir=tmp, redis_url=self.redis.url, rate_limit=10**6,
                                 port=_port(), training=training,
                                 worker_concurrency=concurrency, **options)  # type: ignore[arg-type]
        upgrade(self.settings.database)
        self.concurrency, self.logs = concurrency, [tmp / "worker.log"]
        self.env = {**self.settings.child_environ(),
                    **{f"AUTOGRADER_{k.upper()}": str(v) for k, v in options.items()},
                    "AUTOGRADER_TRAINING": str(training).lower(),
                    "AUTOGRADER_WORKER_CONCURRENCY": str(concurrency)}
        self.start_worker()
        self._start_api()
        self._wait_workers(concurrency)
        from service.db.session import session_factory
        from service.tokens import create_token

        with session_factory(self.settings.database)() as s:
            tokens = [create_token(session=s, student=f"bench{i}") for i in range(students)]
        self.clients = [httpx.Client(base_url=self.settings.base_url, timeout=60,
                                     headers={"Authorization": f"Bearer {token}"},
                                     limits=httpx.Limits(max_connections=64)) for token in tokens]

    @property
    def log(self) -> Path:
        return self.logs[-1]

    def start_worker(self) -> None:
        """An ``autograder worker`` in a session of its own (so :meth:`kill9` takes its whole pool)."""
        self.worker = subprocess.Popen([sys.executable, "-m", "autograder.cli", "worker"], cwd=ROOT,
                                       env=self.env, stdout=open(self.log, "ab"),  # noqa: SIM115
                                       stderr=subprocess.STDOUT, start_new_session=True)

    def kill9(self) -> None:
        """SIGKILL the worker and its pool, as a crashed machine would; the next one logs elsewhere."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.logs.append(self.log.with_name(f"worker{len(self.logs)}.log"))

    def _start_api(self) -> None:
        import uvicorn

        from api.app import create_app

        self.server = uvicorn.Server(uvicorn.Config(create_app(self.settings), host="127.0.0.1",
                                                    port=self.settings.port, log_level="error"))
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.02)

    def _wait_workers(self, n: int) -> None:
        import redis

        r = redis.Redis.from_url(self.redis.url)
        deadline = time.monotonic() + 120
        while sum(1 for k in r.scan_iter("autograder:workers:*") if self._mine(k)) < n:
            assert time.monotonic() < deadline and self.worker.poll() is None, self.log.read_text()[-2000:]
            time.sleep(0.1)

    def _mine(self, key: bytes) -> bool:
        """A heartbeat of the current worker's pool (a killed one's lingers until it expires)."""
        pid = int(key.rsplit(b":", 1)[1])
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[1]) == self.worker.pid
        except (OSError, IndexError, ValueError):
            return True  # no /proc to ask: take its word

    def upload(self, student: int = 0) -> tuple[int, str | None]:
        client = self.clients[student % len(self.clients)]
        r = client.post("/api/v1/submissions", files={"file": ("layers.py", SOURCE)})
        return r.status_code, r.json().get("id") if r.status_code == 202 else None

    def latencies(self, ids: list[str], timeout: float = 900) -> list[float]:
        """Upload → stored report, as the database recorded it, once all are graded."""
        from sqlalchemy import select

        from service.db.models import Submission
        from service.db.session import session_factory

        deadline = time.monotonic() + timeout
        while True:
            with session_factory(self.settings.database)() as s:
                rows = list(s.execute(select(Submission.status, Submission.latency_s)
                                      .where(Submission.id.in_(ids))))
            if all(st in ("graded", "failed") for st, _ in rows) or time.monotonic() > deadline:
                assert all(st == "graded" for st, _ in rows), Counter(st for st, _ in rows)
                return [lat for _, lat in rows]
            time.sleep(0.05)  # latency comes from the rows' own timestamps; polling slower only frees the CPU

    def stored_once(self, ids: list[str]) -> bool:
        lines = [ln.split("submission ", 1)[1] for log in self.logs if log.exists()
                 for ln in log.read_text().splitlines()
                 if ln.rstrip().endswith(": graded") and "submission " in ln]
        stored = Counter(ln.split(": ")[0] for ln in lines)
        return all(stored[i] == 1 for i in ids) and max(stored.values()) == 1

    def close(self) -> None:
        self.server.should_exit = True
        self.worker.terminate()
        try:
            self.worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait()
        self.redis.stop()


def _port() -> int:
    from service.private_redis import free_port

    return free_port()


def sequential(svc: Service, n: int = N) -> list[float]:
    out = []
    for _ in range(n):
        _, sid = svc.upload()
        out += svc.latencies([sid])
    return out


def concurrent(svc: Service) -> list[float]:
    """``N`` students uploading at once (one student's uploads are graded one after the other)."""
    with ThreadPoolExecutor(8) as pool:
        ids = [sid for _, sid in pool.map(svc.upload, range(N))]
    return svc.latencies(ids)


def burst(svc: Service) -> str:
    """``BURST`` uploads at once, from as many students as the service has (a class at the deadline)."""
    t = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(svc.upload, range(BURST)))
    accepted = time.perf_counter() - t
    codes = Counter(code for code, _ in answers)
    ids = [sid for _, sid in answers if sid]
    lat = svc.latencies(ids)
    drained = time.perf_counter() - t
    once = svc.stored_once(ids)
    return (f"burst of {BURST}: answers {dict(codes)} in {accepted:.1f} s; all graded {drained:.1f} s after "
            f"the first upload (slowest upload->report {max(lat):.2f} s); each stored exactly once: {once}")


def p(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100)[q - 1] if len(xs) > 1 else xs[0]


def row(name: str, xs: list[float], base: float) -> str:
    return (f"{name:<34} p50 {p(xs, 50) * 1000:8.1f} ms  p95 {p(xs, 95) * 1000:8.1f} ms  "
            f"p50/in-process {p(xs, 50) / base:5.2f}x")


def main() -> None:
    base_times = in_process()
    base = p(base_times, 50)
    print(f"grader: grader.runner.Grader; training=False; N={N}")
    print(row("in-process grading", base_times, base))
    for workers in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            svc = Service(Path(tmp), workers, students=max(N, BURST) if workers == 2 else N)
            try:
                print(row(f"sequential, {workers} worker process(es)", sequential(svc), base))
                print(row(f"concurrent x{N}, {workers} worker process(es)", concurrent(svc), base))
                if workers == 2:
                    print(burst(svc))
            finally:
                svc.close()
    # The configuration a course runs: with the training check (most of the grading time).
    n = int(os.environ.get("BENCH_TRAINING_N", "8"))
    base_t = p(in_process(training=True, n=n), 50)
    print(f"with the training check (the default configuration); N={n}")
    print(row("in-process grading", [base_t], base_t))
    with tempfile.TemporaryDirectory() as tmp:
        svc = Service(Path(tmp), 1, training=True)
        try:
            print(row("sequential, 1 worker process(es)", sequential(svc, n), base_t))
        finally:
            svc.close()
