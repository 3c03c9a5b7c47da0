"""The instructor's pages at course scale: 200, 1,000 and 2,000 students × 10 graded submissions.

Seeded as a course looks after its deadline: every student holds a token, and
each submission is stored through :func:`service.lifecycle.store` (the code a
worker stores a grade with), its report shaped like ex08's real ones (every
test of the assignment, feedback text, hints on failures, training curves) and
some late under a schedule. Then each page is requested through the app
(in-process ASGI, no network) and the median time printed, with the growth
ratio between sizes. On SQLite (a file, as ``make run`` sets it up) and on
PostgreSQL when one answers (``TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), measured after a
``VACUUM ANALYZE`` (what autovacuum does soon after the seeding's writes).

``python -m bench dashboard``; ``BENCH_SIZES=200,1000``, ``BENCH_REPEAT`` and
``BENCH_DATABASES=sqlite`` (or ``postgresql``) change the sizes, the requests
per page and the databases.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "200,1000,2000").split(",")]
PER_STUDENT = int(os.environ.get("BENCH_PER_STUDENT", "10"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
PASSWORD = "bench password"
DUE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PAGES = ["/dashboard", "/dashboard/gradebook", "/dashboard/gradebook?sort=grade&order=desc&page=7",
         "/dashboard/gradebook?test=5", "/dashboard/gradebook?state=not_submitted",
         "/dashboard/export.csv?assignment=ex08", "/dashboard/students", "/dashboard/submissions",
         "/dashboard/live.json"]


def report(rng: random.Random, skill: float, seed: int) -> Any:
    """A report with ex08's tests: each passes with probability ``skill``; failures carry a hint."""
    from grader.assignments import load
    from grader.feedback import HINTS
    from grader.report import Report, Status, TestResult

    hints = sorted(HINTS)
    tests = []
    for spec in load("ex08").tests:
        ok = rng.random() < skill
        data = {"curves": {"reference": {"train_loss": [2.3, 1.1, 0.6, 0.4], "val_acc": [0.3, 0.7, 0.85, 0.9]},
                           "student": {"train_loss": [2.3, 1.3, 0.9, 0.7], "val_acc": [0.3, 0.6, 0.7, 0.8]}}} \
            if spec.training else {}
        tests.append(TestResult(
            spec.name, spec.number, spec.points if ok else 0.0, spec.points, Status.PASSED if ok else Status.FAILED,
            "max abs error 3.1e-09 on a (4, 5) input" if ok else
            "expected mean 1.0 after inverted dropout, measured 0.25 on 10,000 units: " + "x" * 200,
            visibility=spec.visibility, tags=[spec.tag], check=spec.check,
            hint="" if ok else rng.choice(hints), data=data))
    return Report(sum(t.score for t in tests), sum(t.max_score for t in tests), 3.2, "", tests, "ex08", seed,
                  "bench", "0" * 64)


def seed(url: str, first: int, last: int, rng: random.Random) -> None:
    """Students ``first``..``last - 1`` with a token and PER_STUDENT graded submissions each."""
    from sqlalchemy import select

    from service import lifecycle
    from service.db.models import Student, Submission
    from service.db.session import session_factory
    from service.tokens import create_token

    source = b"import numpy as np\n" + b"# layers\n" * 400
    sessions = session_factory(url)
    with sessions() as s:
        for i in range(first, last):
            create_token(session=s, student=f"student{i:05d}")
        ids = {name: sid for name, sid in s.execute(select(Student.name, Student.id))}
    for i in range(first, last):
        with sessions() as s:  # one per student, as a worker has one per store
            skill = rng.random()
            rows = [Submission(student_id=ids[f"student{i:05d}"], assignment="ex08", content=source, sha256="0",
                               status="running", attempts=1,
                               received_at=DUE - timedelta(days=9) + timedelta(days=k, minutes=rng.randrange(900)))
                    for k in range(PER_STUDENT)]
            s.add_all(rows)
            s.commit()
            for k, row in enumerate(rows):
                held = lifecycle.Claim(row.id, 1, source, "ex08", row.seed, row.received_at)
                lifecycle.store(s, held, report=report(rng, min(1.0, skill + k * 0.05), row.seed))


def measure(client: Any) -> dict[str, tuple[float, int]]:
    """Median milliseconds and size in bytes of each page."""
    out = {}
    for page in PAGES:
        r = client.get(page)
        assert r.status_code == 200, (page, r.status_code, r.text[:300])
        times = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            r = client.get(page)
            times.append((time.perf_counter() - t) * 1000)
        out[page] = (statistics.median(times), len(r.content))
    return out


def run_backend(name: str, url: str, data_dir: Path) -> dict[int, dict[str, tuple[float, int]]]:
    from fastapi.testclient import TestClient
    from pydantic import SecretStr

    from api.app import create_app
    from service import grades, schedule
    from service.db.migrate import upgrade
    from service.db.session import session_factory
    from service.passwords import hash_password
    from service.schedule import Schedule
    from service.settings import Settings
    from tests.doubles import MemoryQueue

    upgrade(url)
    with session_factory(url)() as s:  # a late policy, so the penalty path runs too
        schedule.set_override(s, "ex08", Schedule(due_at=DUE, late_penalty_per_day=0.1, late_days_max=30))
        grades.apply(s, {}, "ex08")
    settings = Settings(env="development", data_dir=data_dir, database_url=url, redis_url=None, broker_url=None,
                        instructor_password=SecretStr(hash_password(PASSWORD)))
    rng = random.Random(1)
    results = {}
    seeded = 0
    with TestClient(create_app(settings, queue=MemoryQueue())) as client:
        page = client.get("/dashboard/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        client.post("/dashboard/login", data={"password": PASSWORD, "csrf_token": csrf})
        for size in SIZES:
            t = time.perf_counter()
            seed(url, seeded, size, rng)
            print(f"  {name}: seeded {size} students x {PER_STUDENT} in {time.perf_counter() - t:.0f} s", flush=True)
            _vacuum(url)
            seeded = size
            results[size] = measure(client)
    return results


def _vacuum(url: str) -> None:
    """PostgreSQL: VACUUM ANALYZE, as autovacuum does soon after a burst of writes (without statistics
    the planner takes the freshly written tables for empty and joins them by nested loops)."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def table(name: str, results: dict[int, dict[str, tuple[float, int]]]) -> None:
    sizes = sorted(results)
    head = " | ".join(f"{n} x {PER_STUDENT}" for n in sizes)
    ratios = " | ".join(f"{b}/{a}" for a, b in zip(sizes, sizes[1:], strict=False))
    print(f"\n{name}: median ms of {REPEAT} requests (kB); growth ratio between sizes")
    print(f"| page | {head} | {ratios} |")
    print("|---" * (1 + len(sizes) + len(sizes) - 1) + "|")
    for page in PAGES:
        cells = " | ".join(f"{results[n][page][0]:.0f} ms ({results[n][page][1] / 1024:.0f} kB)" for n in sizes)
        growth = " | ".join(f"{results[b][page][0] / results[a][page][0]:.2f}x"
                            for a, b in zip(sizes, sizes[1:], strict=False))
        print(f"| `{page}` | {cells} | {growth} |")


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "sqlite" in DATABASES:
        with tempfile.TemporaryDirectory() as tmp:
            table("SQLite", run_backend("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", Path(tmp)))
    if "postgresql" not in DATABASES:
        return
    pg = _postgres()
    if pg is None:
        print("\nPostgreSQL: not reachable, skipped")
        return
    server, url, drop = pg
    try:
        with tempfile.TemporaryDirectory() as tmp:
            table("PostgreSQL", run_backend("PostgreSQL", url, Path(tmp)))
    finally:
        drop()


def _postgres() -> tuple[str, str, Any] | None:
    from sqlalchemy import create_engine, text

    from tests.service_backends import DEFAULT_POSTGRES, reachable

    server = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    if not reachable(server):
        return None
    name = f"autograder_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
        # Seeding commits 20,000 times; not waiting for each WAL flush changes no page's query.
        c.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = server.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        from service.db.session import _engines

        if url in _engines:
            _engines.pop(url).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return server, url, drop


if __name__ == "__main__":
    main()
