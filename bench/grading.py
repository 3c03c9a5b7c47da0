"""The whole grading suite, training checks included, on the reference in a warm process.

``python -m bench`` (``make bench``) runs :func:`main`: it builds one
:class:`~grader.runner.Grader`, warms it up once (imports, reference training
runs), then grades the reference solution a few times and prints the median
wall time of the suite, the median time of each check, and the ratio to the
target (2 s on the 2-core CPU machines).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from grader.runner import Grader

TARGET_S = 2.0
ROUNDS = 5
SOURCE = (Path(__file__).resolve().parent.parent / "reference" / "ex08" / "layers.py").read_bytes()


def main() -> None:
    started = time.perf_counter()
    grader = Grader("ex08")
    try:
        grader.warm_up()
        print(f"start-up and warm-up (imports, reference runs): {time.perf_counter() - started:.2f} s")
        walls, per_check = [], {}
        for seed in range(ROUNDS):
            t0 = time.perf_counter()
            report = grader.grade(SOURCE, seed=seed)
            walls.append(time.perf_counter() - t0)
            assert report.score == report.max_score, [t.name for t in report.tests if t.score < t.max_score]
            for name, seconds in grader.timings.items():
                per_check.setdefault(name, []).append(seconds)
        print(f"device: {grader.options.get('device') or 'auto'}; {ROUNDS} rounds, medians:")
        for name, seconds in sorted(per_check.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"  {statistics.median(seconds) * 1000:8.1f} ms  {name}")
        wall = statistics.median(walls)
        print(f"whole suite with training: {wall:.2f} s (min {min(walls):.2f}, max {max(walls):.2f}); "
              f"target {TARGET_S:g} s; ratio {wall / TARGET_S:.2f}")
    finally:
        grader.close()


if __name__ == "__main__":
    main()
