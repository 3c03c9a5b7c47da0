"""Grade the reference solution many times with different grading seeds; every point lost is a grader bug.

A correct solution must never lose a point, whatever the seed: the statistical
dropout tests each fail correct code with probability at most 1e-9
(docs/statistics.md), so 1,000 seeds losing nothing is the expected outcome and
anything else needs a look, and so does any mistake named (a hint) on it. One warm Grader
serves all gradings, as a worker would.

    .venv/bin/python scripts/grade_reference_many.py [--n 1000] [--training] [--file PATH]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.runner import Grader  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of grading seeds (default 1000)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--training", action="store_true", help="include the training checks")
    parser.add_argument("--file", type=Path, default=ROOT / "reference" / "ex08" / "layers.py",
                        help="the solution to grade (default: the reference)")
    parser.add_argument("--convention", choices=["drop", "keep"], default=None)
    parser.add_argument("--assignment", default="ex08", help="assignment id or variant (default ex08)")
    args = parser.parse_args()

    source = args.file.read_bytes()
    grader = Grader(args.assignment, dropout_convention=args.convention)
    lost_by_test: collections.Counter[str] = collections.Counter()
    examples: dict[str, str] = {}
    hints: collections.Counter[str] = collections.Counter()  # a mistake named on a correct solution: a bug
    total_lost = 0.0
    started = time.perf_counter()
    try:
        if args.training:
            grader.warm_up()
        for seed in range(args.first_seed, args.first_seed + args.n):
            report = grader.grade(source, seed=seed, training=args.training)
            hints.update(t.hint for t in report.tests if t.hint)
            for t in report.tests:
                # a test of handed-out code carries 0 points, but the reference must still pass it
                if t.score < t.max_score or t.status.value != "passed":
                    total_lost += t.max_score - t.score
                    lost_by_test[t.name] += 1
                    examples.setdefault(t.name, f"seed {seed}: {t.status.value}: {t.output[:300]}")
    finally:
        grader.close()
    elapsed = time.perf_counter() - started
    print(f"graded {args.file.name} {args.n} times (seeds {args.first_seed}..{args.first_seed + args.n - 1}, "
          f"training={'on' if args.training else 'off'}) in {elapsed:.1f} s ({elapsed / args.n * 1e3:.0f} ms each)")
    print(f"points lost in total: {total_lost:g}; tests not passed: {sum(lost_by_test.values())}")
    for name, count in lost_by_test.most_common():
        print(f"  {name}: lost in {count} gradings, e.g. {examples[name]}")
    print(f"mistakes named (hints): {sum(hints.values())}" + "".join(f"\n  {h}: {n}" for h, n in hints.most_common()))
    return 0 if not lost_by_test and not hints else 1


if __name__ == "__main__":
    sys.exit(main())
