"""All pairs of a class's submissions: 500 and 2,000 synthetic students, and how the time grows.

A synthetic student starts from one of the fixture solutions (tests/submissions: correct,
wrong, keep convention), disguised by a random choice of the generator's kinds
(tests/similarity/disguise.py), with edits of their own (constants changed in a few
statements) so that, as in a real class, most files share most idioms and each has
something no other file has. Timed: every file normalised and fingerprinted with ex08's
handout subtracted, then every pair through the inverted index, as ``autograder
similarity --assignment ex08`` does. Goal (issue 20): 2,000 in at most 60 s on this
2-core machine; the growth 500 -> 2,000 is 4x for work linear in the files, 16x for
one comparison per pair. The CPU seconds are printed too: on a machine other work
shares, they say what the wall clock would be on an idle one.

``python -m bench similarity``; ``BENCH_SIMILARITY_SIZES=500,2000`` changes the sizes.
"""

from __future__ import annotations

import ast
import os
import random
import time

from grader.similarity import THRESHOLD, document, handout, ranked

SIZES = [int(n) for n in os.environ.get("BENCH_SIMILARITY_SIZES", "500,2000").split(",")]


def synthetic_class(count: int, seed: int = 0) -> dict[str, str]:
    """``count`` student files: fixture solutions, disguised, each with edits of its own."""
    from tests.conftest import SUBMISSIONS
    from tests.similarity.disguise import KINDS, disguise

    bases = [p.read_text() for folder in ("correct", "wrong",
                                          "keep") for p in sorted((SUBMISSIONS / folder).glob("*.py"))]
    rng = random.Random(seed)
    out = {}
    for i in range(count):
        kinds = rng.sample(sorted(KINDS), rng.randrange(len(KINDS) + 1))
        out[f"student_{i:04d}.py"] = disguise(_own_edits(rng.choice(bases), rng), *kinds, seed=i)
    return out


def _own_edits(source: str, rng: random.Random) -> str:
    """A few numeric constants changed: the student's own (wrong or odd) choices, seen by no one else."""
    tree = ast.parse(source)
    constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) in (int, float)]
    for node in rng.sample(constants, min(4, len(constants))):
        node.value = round(rng.uniform(0.001, 9), 4)
    return ast.unparse(tree) + "\n"


def measure(count: int) -> tuple[float, float, float, int]:
    """Seconds to fingerprint ``count`` files and to rank all their pairs, CPU seconds of both, pairs
    flagged."""
    files = synthetic_class(count)
    given = handout("ex08")
    start, cpu = time.perf_counter(), time.process_time()
    documents = [document(name, source, assignment=given) for name, source in files.items()]
    fingerprinted = time.perf_counter()
    pairs = ranked(documents, min_score=THRESHOLD)
    end = time.perf_counter()
    return fingerprinted - start, end - fingerprinted, time.process_time() - cpu, len(pairs)


def main() -> None:
    load = os.getloadavg()[0]
    print(f"similarity, ex08 handout subtracted, threshold {THRESHOLD} (load average {load:.1f} on "
          f"{os.cpu_count()} CPUs)")
    print(f"{'files':>6} {'fingerprint s':>14} {'all pairs s':>12} {'total s':>8} {'CPU s':>6} "
          f"{'flagged':>8}")
    totals = {}
    for count in SIZES:
        fp, pairs, cpu, flagged = measure(count)
        totals[count] = fp + pairs
        print(f"{count:>6} {fp:>14.2f} {pairs:>12.2f} {fp + pairs:>8.2f} {cpu:>6.2f} {flagged:>8}",
              flush=True)
    if len(SIZES) >= 2:
        small, large = SIZES[0], SIZES[-1]
        print(f"growth {small} -> {large} files ({large / small:g}x): {totals[large] / totals[small]:.2f}x "
              f"(linear {large / small:g}x, all pairs {(large / small) ** 2:g}x); goal {large} <= 60 s: "
              f"{'met' if totals[large] <= 60 else 'NOT met'}")


if __name__ == "__main__":
    main()
