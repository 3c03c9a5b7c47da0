"""``autograder check-assignment ID``: what an instructor runs before students see an exercise.

It grades, with one warm grader: the solution (the reference, or the file the assignment names) over
many seeds, which must pass every test and earn every point; the starter, which must earn nothing;
every file of the exercise's ``correct/`` fixtures (full marks; an optional, 0-point function may be
left undone); and every file of its ``wrong/``
fixtures, named ``<function>__<mistake>.py``, which must fail a test of that function, lose points in
no other function, lose some where that function's tests carry points, and name the hint its first
line expects (``# expect: hint=<key>``). The training checks run once on the solution and once on the
starter (their runs use a fixed seed, so more seeds would train the same networks again).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.assignments import Assignment
from grader.report import Report, Status
from grader.runner import Grader


@dataclass(frozen=True)
class Finding:
    """One line of the check: what was graded, whether it behaved, and what was seen."""

    ok: bool
    what: str
    detail: str


Progress = Callable[[Finding], None]


def check(assignment_id: str, *, seeds: int = 100, training: bool = True, insecure: bool = False,
          progress: Progress | None = None) -> list[Finding]:
    """Every finding for the assignment, in the order above; each is also handed to ``progress``."""
    grader = Grader(assignment_id, insecure=insecure)
    findings: list[Finding] = []

    def note(finding: Finding) -> None:
        findings.append(finding)
        if progress is not None:
            progress(finding)

    try:
        if training:
            grader.warm_up()
        note(_solution(grader, seeds, training))
        note(_starter(grader, training))
        for path in _fixtures(grader.assignment, "correct"):
            note(_correct(grader, path))
        for path in _fixtures(grader.assignment, "wrong"):
            note(_wrong(grader, path))
    finally:
        grader.close()
    return findings


def _fixtures(assignment: Assignment, kind: str) -> list[Path]:
    return sorted((assignment.fixtures / kind).glob("*.py")) if assignment.fixtures else []


def _not_full(report: Report, *, optional_may_fail: bool = False) -> list[str]:
    """The tests that lost points or did not pass (with ``optional_may_fail``: 0-point tests may fail)."""
    return [f"{t.name} ({t.status.value}, {t.score:g}/{t.max_score:g}): {(t.output.splitlines() or [''])[0][:200]}"
            for t in report.tests if t.score < t.max_score
            or (t.status is not Status.PASSED and not (optional_may_fail and t.max_score == 0))]


def _solution(grader: Grader, seeds: int, training: bool) -> Finding:
    solution = grader.assignment.solution
    assert solution is not None
    source = solution.read_bytes()
    bad: dict[int, list[str]] = {}
    for seed in range(seeds):
        report = grader.grade(source, seed=seed, training=training and seed == 0)
        if lost := _not_full(report):
            bad[seed] = lost
    what = f"solution {_short(solution)} over {seeds} seeds" + (" (training at seed 0)" if training else "")
    if not bad:
        return Finding(True, what, f"full marks ({grader.assignment.max_score:g}) and every test passed at every seed")
    first = next(iter(bad))
    return Finding(False, what, f"not full marks at {len(bad)} seeds, e.g. seed {first}: " + "; ".join(bad[first]))


def _starter(grader: Grader, training: bool) -> Finding:
    path = grader.assignment.directory / "starter" / grader.assignment.filename
    report = grader.grade(path.read_bytes(), seed=0, training=training)
    earned = [f"{t.name}: {t.score:g}" for t in report.tests if t.score]
    detail = "0 points" if not earned else "earns points: " + "; ".join(earned)
    return Finding(not earned, f"starter {_short(path)}", detail)


def _correct(grader: Grader, path: Path) -> Finding:
    # A correct fixture may leave an optional (0-point) function undone; the solution may not.
    lost = _not_full(grader.grade(path.read_bytes(), seed=1, training=False), optional_may_fail=True)
    return Finding(not lost, f"correct/{path.name}", "full marks" if not lost else "; ".join(lost))


def _wrong(grader: Grader, path: Path) -> Finding:
    area = path.stem.split("__")[0]
    report = grader.grade(path.read_bytes(), seed=1, training=False)
    in_area = [t for t in report.tests if t.tags == [area]]
    failed = [t for t in in_area if t.status is not Status.PASSED]
    elsewhere = [f"{t.name} ({t.score:g}/{t.max_score:g})" for t in report.tests
                 if t.tags != [area] and t.score < t.max_score]
    lost = sum(t.max_score - t.score for t in in_area)
    problems = [f"loses points outside {area}: " + "; ".join(elsewhere)] if elsewhere else []
    if not failed:
        problems.append(f"fails no test of {area}" if in_area else f"no test is tagged {area}")
    elif not lost and sum(t.max_score for t in in_area) > 0:
        problems.append(f"loses no point in {area}")
    expected = _expected_hint(path)
    if expected and expected not in {t.hint for t in failed}:
        problems.append(f"the hint {expected!r} is named by no failed test (named: "
                        f"{sorted({t.hint for t in failed if t.hint}) or 'none'})")
    summary = f"loses {lost:g} in {area} ({', '.join(t.name.split(': ', 1)[-1] for t in failed)})"
    return Finding(not problems, f"wrong/{path.name}", "; ".join(problems) or summary)


def _expected_hint(path: Path) -> str:
    first = (path.read_text().splitlines() or [""])[0]
    m = re.match(r"# expect:.*\bhint=(\S*)", first)
    return m.group(1) if m else ""


def _short(path: Path) -> str:
    parts = path.parts
    for anchor in ("reference", "tests"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor):])
    return str(path)
