"""cs231n_conv: grading a loop-based correct solution (the notebook's naive loops), training included.

``python -m bench conv_grading`` builds one warm :class:`~grader.runner.Grader` for ``cs231n_conv``
(imports and the reference CNN runs paid once, as a worker does), then grades
tests/submissions/cs231n_conv/correct/loops.py ``BENCH_ROUNDS`` times (default 3) and prints the median
and minimum wall time of the whole suite, the time of each test, and the ratio to the target (10 s on
this 2-core machine, issue 22). The naive convolution's Python loops are most of it.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from bench.grading import cpu_seconds
from grader.runner import Grader

TARGET_S = 10.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SOURCE = (Path(__file__).resolve().parent.parent / "tests" / "submissions" / "cs231n_conv" / "correct"
          / "loops.py").read_bytes()


def main() -> None:
    started = time.perf_counter()
    grader = Grader("cs231n_conv")
    try:
        grader.warm_up()
        print(f"start-up and warm-up (imports, reference runs): {time.perf_counter() - started:.2f} s")
        walls, cpus, per_test = [], [], {}
        for seed in range(ROUNDS):
            t0, cpu0 = time.perf_counter(), cpu_seconds(grader)
            report = grader.grade(SOURCE, seed=seed)
            walls.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds(grader) - cpu0)
            assert report.score == report.max_score, [t.name for t in report.tests if t.score < t.max_score]
            for name, seconds in grader.timings.items():
                per_test.setdefault(name, []).append(seconds)
    finally:
        grader.close()
    print(f"loop-based correct solution, {ROUNDS} rounds (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs); medians per test:")
    for name, seconds in sorted(per_test.items(), key=lambda kv: -statistics.median(kv[1])):
        print(f"  {statistics.median(seconds) * 1000:8.1f} ms  {name}")
    wall = statistics.median(walls)
    print(f"CPU time per suite, judge and student's side together: {statistics.median(cpus):.2f} s median "
          "(what the suite costs on an idle machine)")
    print(f"whole suite with training: median {wall:.2f} s, min {min(walls):.2f} s "
          f"({wall / TARGET_S:.2f}x the {TARGET_S:g} s target)")
