"""The whole grading suite, training checks included, on the reference in a warm process.

``python -m bench`` (``make bench``) runs :func:`main`: it builds one
:class:`~grader.runner.Grader`, warms it up once (imports, reference training
runs), then grades the reference solution ``BENCH_ROUNDS`` times (default 9) and
prints the median wall time of the suite (and its minimum: on a shared machine
the median moves with the load, printed beside it), the median time of each
check, how many requests went to the student's side and what share of the
suite's time they took, and the ratio to the target (1 s on the 2-core CPU
machines, issue 11).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from grader.runner import Grader

TARGET_S = 1.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "9"))
SOURCE = (Path(__file__).resolve().parent.parent / "reference" / "ex08" / "layers.py").read_bytes()


def main() -> None:
    started = time.perf_counter()
    grader = Grader("ex08")
    try:
        grader.warm_up()
        print(f"start-up and warm-up (imports, reference runs): {time.perf_counter() - started:.2f} s")
        grader.grade(SOURCE, seed=ROUNDS)  # the first grading after the warm-up still pays a little
        walls, cpus, trips, trip_seconds, per_check = [], [], [], [], {}
        for seed in range(ROUNDS):
            t0, cpu0 = time.perf_counter(), cpu_seconds(grader)
            report = grader.grade(SOURCE, seed=seed)
            walls.append(time.perf_counter() - t0)
            cpus.append(cpu_seconds(grader) - cpu0)
            assert report.score == report.max_score, [t.name for t in report.tests if t.score < t.max_score]
            trips.append(grader.round_trips[0])
            trip_seconds.append(grader.round_trips[1])
            for name, seconds in grader.timings.items():
                per_check.setdefault(name, []).append(seconds)
        print(f"device: {grader.options.get('device') or 'auto'}; {ROUNDS} rounds, medians "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs):")
        for name, seconds in sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {statistics.median(seconds) * 1000:8.1f} ms  {name}")
        wall = statistics.median(walls)
        shares = [s / w for s, w in zip(trip_seconds, walls, strict=True)]
        print(f"requests to the sandbox per suite: {statistics.median(trips):.0f}, "
              f"{statistics.median(trip_seconds) * 1000:.0f} ms median, "
              f"{statistics.median(shares) * 100:.0f}% of the suite's time")
        print(f"CPU time per suite, judge and student's side together: {statistics.median(cpus):.2f} s "
              "median "
              f"(what bounds the throughput: about {os.cpu_count() or 1} / that suites per second on this "
              "machine)")
        print(f"whole suite with training: {wall:.2f} s median (min {min(walls):.2f}, max {max(walls):.2f}); "
              f"target {TARGET_S:g} s; ratio {wall / TARGET_S:.2f}")
    finally:
        grader.close()


def cpu_seconds(grader: Grader) -> float:
    """CPU seconds used so far by this process and by the sandbox children its zygote has reaped."""
    times = os.times()
    own = times.user + times.system
    pid = grader.factory.zygote_pid
    if pid is None:
        return own + times.children_user + times.children_system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return own
    return own + (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")  # cutime, cstime


if __name__ == "__main__":
    main()
