"""A burst of submissions graded with training by 1 and by 2 grading processes: throughput and scaling.

``python -m bench throughput`` (part of ``make bench``) grades ``BENCH_BURST``
submissions (default 200: the reference and every fixture of
``tests/submissions/correct`` and ``wrong``, in turn) with the training checks,
first in one process, then shared by two, each process a warm
:class:`~grader.runner.Grader` pulling from one queue as a worker pool process
would (the queue, database and HTTP around it are ``bench.service``'s). The
clock starts once every process is warm. It prints the time of the burst,
submissions per second per process and the scaling ratio (throughput with two
processes over one; at most 2 on this 2-core machine, less when other work
shares it: the load average is printed).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BURST = int(os.environ.get("BENCH_BURST", "200"))
PROCESSES = (1, 2)


def submissions(n: int) -> list[bytes]:
    files = [ROOT / "reference" / "ex08" / "layers.py"]
    for folder in ("correct", "wrong"):
        files += sorted((ROOT / "tests" / "submissions" / folder).glob("*.py"))
    return [files[i % len(files)].read_bytes() for i in range(n)]


def _grade_from(queue: Any, ready: Any, go: Any, done: Any) -> None:
    """One grading process: warm up, say so, wait for the start, grade until the queue is empty."""
    from grader.runner import Grader

    grader = Grader("ex08")
    try:
        grader.warm_up()
        ready.put(os.getpid())
        go.wait()
        graded = 0
        while (item := queue.get()) is not None:
            index, source = item
            grader.grade(source, seed=index)
            graded += 1
        done.put((os.getpid(), graded, time.perf_counter()))
    finally:
        grader.close()


def burst(processes: int, sources: list[bytes]) -> tuple[float, list[int]]:
    """Seconds from the start (every process warm) to the last grade, and how many each process graded."""
    ctx = mp.get_context("spawn")  # a fresh interpreter per process, as a worker's pool process warms up
    queue, ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
    for item in enumerate(sources):
        queue.put(item)
    for _ in range(processes):
        queue.put(None)
    workers = [ctx.Process(target=_grade_from, args=(queue, ready, go, done)) for _ in range(processes)]
    for w in workers:
        w.start()
    for _ in workers:
        ready.get(timeout=600)
    started = time.perf_counter()
    go.set()
    results = [done.get(timeout=3600) for _ in workers]
    for w in workers:
        w.join(60)
    return max(end for _, _, end in results) - started, [n for _, n, _ in results]


def main() -> None:
    sources = submissions(BURST)
    rates = {}
    for processes in PROCESSES:
        load = os.getloadavg()[0]
        seconds, counts = burst(processes, sources)
        rates[processes] = len(sources) / seconds
        print(f"{len(sources)} submissions with training, {processes} process(es): {seconds:.1f} s, "
              f"{rates[processes]:.2f}/s in all, {rates[processes] / processes:.2f}/s per process "
              f"(graded {counts}; load average {load:.1f} on {os.cpu_count()} CPUs at the start)", flush=True)
    if len(rates) == 2:
        print(f"scaling ratio 2 processes / 1: {rates[2] / rates[1]:.2f} (ideal 2.00 on 2 idle cores)")


if __name__ == "__main__":
    main()
