"""Deadline day: fairness under a flood, recovery after a crash, the first upload after a warm start.

The real service (``bench.service.Service``: private Redis, SQLite, the API, an
``autograder worker`` subprocess, the real grader). Goals (issue 11):

- one student has 20 uploads waiting, another uploads once: graded within 3 gradings' time;
- Redis restarted empty with 40 submissions waiting, and again with the worker
  killed with SIGKILL mid-grading too (a new one started), with 40
  submissions accepted: the last graded at most 60 s after the broker is back;
  each stored exactly once;
- the first upload after ``autograder serve`` says it is ready: at most 2x the warm grading time.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.service import ROOT, SOURCE, Service, _port

FLOOD = int(os.environ.get("BENCH_FLOOD", "20"))
ACCEPTED = int(os.environ.get("BENCH_RECOVERY_N", "40"))


def _rows(svc: Service, ids: list[str]) -> list:  # type: ignore[type-arg]
    from sqlalchemy import select

    from service.db.models import Submission
    from service.db.session import session_factory

    with session_factory(svc.settings.database)() as s:
        return list(s.scalars(select(Submission).where(Submission.id.in_(ids))))


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _wait_graded(svc: Service, ids: list[str], timeout: float = 600) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(svc, ids)
        if all(r.status in ("graded", "failed") for r in rows):
            return rows
        time.sleep(0.1)
    raise TimeoutError(f"not graded within {timeout} s")


def fairness(training: bool = True) -> str:
    """One student floods (``FLOOD`` uploads), then another uploads once; one worker process."""
    with tempfile.TemporaryDirectory() as tmp:
        svc = Service(Path(tmp), 1, training=training, students=2, max_waiting_per_student=FLOOD + 5)
        try:
            flood = [sid for _, sid in (svc.upload(0) for _ in range(FLOOD)) if sid]
            _, other = svc.upload(1)
            assert other is not None and len(flood) == FLOOD
            (row,) = _wait_graded(svc, [other])
            done = [r for r in _rows(svc, flood) if r.status == "graded"]
            per = statistics.median((_utc(r.finished_at) - _utc(r.started_at)).total_seconds() for r in done)
            # what first in, first out would have made it wait: every one of the flood before it
            return (f"fairness: {FLOOD} uploads of one student, then 1 of another (1 worker process, "
                    f"training={training}): the other graded {row.latency_s:.1f} s after its upload = "
                    f"{row.latency_s / per:.1f} gradings of {per:.2f} s (goal <= 3; first in, first out: "
                    f"{FLOOD + 1}); the flood's {len(done)} graded by then")
        finally:
            svc.close()


def recovery() -> str:
    """``ACCEPTED`` submissions (one per student), worker killed -9 mid-grading, Redis restarted empty."""
    with tempfile.TemporaryDirectory() as tmp:
        svc = Service(Path(tmp), 2, students=ACCEPTED)
        try:
            ids = [sid for _, sid in (svc.upload(i) for i in range(ACCEPTED)) if sid]
            while not any(r.status == "running" for r in _rows(svc, ids)):
                time.sleep(0.02)
            svc.kill9()
            svc.redis.restart()  # the queue is gone with it
            back = datetime.now(UTC)
            svc.start_worker()  # what the supervisor (docker, systemd) does
            svc._wait_workers(svc.concurrency)
            warm = (datetime.now(UTC) - back).total_seconds()
            rows = _wait_graded(svc, ids)
            last = max(_utc(r.finished_at) for r in rows)
            statuses = {r.status for r in rows}
            return (f"recovery: {len(ids)} accepted, worker killed -9 mid-grading, Redis restarted empty: "
                    f"the last graded {(last - back).total_seconds():.1f} s after the broker was back (goal "
                    f"<= 60; the new worker was warm after {warm:.1f} s of it); statuses {sorted(statuses)}; "
                    f"each stored exactly once: {svc.stored_once(ids)}; "
                    f"taken over: {sum(r.attempts > 1 for r in rows)}")
        finally:
            svc.close()


def broker_loss() -> str:
    """``ACCEPTED`` submissions (one per student) waiting, Redis restarted empty; the worker lives on."""
    with tempfile.TemporaryDirectory() as tmp:
        svc = Service(Path(tmp), 1, students=ACCEPTED)
        try:
            ids = [sid for _, sid in (svc.upload(i) for i in range(ACCEPTED)) if sid]
            while not any(r.status == "graded" for r in _rows(svc, ids)):
                time.sleep(0.02)
            svc.redis.restart()  # the queue is gone with it
            back = datetime.now(UTC)
            rows = _wait_graded(svc, ids)
            last = max(_utc(r.finished_at) for r in rows)
            return (f"broker loss: {len(ids)} accepted, Redis restarted empty, the worker alive: the last "
                    f"graded {(last - back).total_seconds():.1f} s after the broker was back (goal <= 60); "
                    f"statuses {sorted({r.status for r in rows})}; "
                    f"each stored exactly once: {svc.stored_once(ids)}")
        finally:
            svc.close()


def _graded_after_upload(client: httpx.Client) -> float:
    """Upload the reference; seconds until the API says graded (polled every 50 ms)."""
    t = time.perf_counter()
    sid = client.post("/api/v1/submissions", files={"file": ("layers.py", SOURCE)}).json()["id"]
    while client.get(f"/api/v1/submissions/{sid}").json()["status"] not in ("graded", "failed"):
        time.sleep(0.05)
    return time.perf_counter() - t


def warm_start(uploads: int = 4) -> str:
    """``autograder serve`` from cold: until it prints its URL; then the first upload against the next."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "AUTOGRADER_DATA_DIR": tmp, "AUTOGRADER_ENV": "development"}
        env.pop("REDIS_URL", None)
        t = time.perf_counter()
        serve = subprocess.Popen([sys.executable, "-m", "autograder.cli", "serve", "--port", str(_port())],
                                 cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True, start_new_session=True)
        try:
            assert serve.stdout is not None
            lines = []
            for line in serve.stdout:
                lines.append(line)
                if "autograder submit" in line:  # the banner's last line
                    break
            ready = time.perf_counter() - t
            url = re.search(r"autograder at (\S+)", "".join(lines))
            token = re.search(r"Bearer (ag_[\w-]+)", "".join(lines))
            assert url and token, "".join(lines)[-2000:]
            with httpx.Client(base_url=url.group(1), timeout=120,
                              headers={"Authorization": f"Bearer {token.group(1)}"}) as client:
                times = [_graded_after_upload(client) for _ in range(uploads)]
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            try:
                serve.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()
    warm = statistics.median(times[1:])
    return (f"warm start: `autograder serve` printed its URL after {ready:.1f} s; the first upload was "
            f"graded in {times[0]:.2f} s, the next {len(times) - 1} in {warm:.2f} s (median): "
            f"{times[0] / warm:.2f}x (goal <= 2x)")


def main() -> None:
    print(fairness(), flush=True)
    print(broker_loss(), flush=True)
    print(recovery(), flush=True)
    print(warm_start(), flush=True)
