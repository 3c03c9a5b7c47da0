"""Assignments as data: ``reference/<id>/assignment.toml`` names the checks, points and conventions.

A variant (another year's template of the same exercise) is a folder with its own
``assignment.toml`` that ``extends`` another assignment: it inherits the tests and
the reference solution, and overrides what differs (title, dropout convention, which
code the template hands out). Its own ``starter/layers.py`` is what it hands out.
"""

from __future__ import annotations

import difflib
import fnmatch
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
REFERENCE_DIR = REPO_DIR / "reference"
AREAS = frozenset(["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                   "dropout_forward", "dropout_backward", "training"])
"""ex08's areas: the tags an assignment may use unless its file lists its own (``areas = [...]``)."""
VISIBILITIES = frozenset(["visible", "hidden", "after_due_date", "after_published"])


class UnknownAssignment(LookupError):
    """No assignment of that id; the message lists the known ones."""


@dataclass(frozen=True)
class TestSpec:
    """One test of an assignment: a registered check with its points and parameters."""

    __test__ = False

    number: str
    """Position in the assignment, "1", "2", ..."""
    name: str
    """Title shown to students."""
    check: str
    """Registered check name (grader/checks/)."""
    tag: str
    """The one area this test belongs to."""
    points: float
    """Points available; 0 makes the test informational."""
    visibility: str = "visible"
    """Gradescope visibility."""
    training: bool = False
    """True for the training checks, skipped by ``--no-training``."""
    params: dict[str, Any] = field(default_factory=dict)
    """Extra arguments for the check (tolerances, function name...)."""
    given: bool = False
    """The template hands this code out: the test runs and is reported, but carries 0 points."""
    requires: str = ""
    """Registered gate: the test pays only when the function does recognisably its job."""


@dataclass(frozen=True)
class Assignment:
    """One exercise: its tests and its conventions."""

    id: str
    """Short id, e.g. ``ex08``."""
    title: str
    """Human title."""
    filename: str
    """The file students submit."""
    dropout_convention: str
    """``drop`` (p = probability of dropping) or ``keep`` (cs231n)."""
    call_timeout: float
    """Seconds one call into the student's code may take."""
    submission_timeout: float
    """Seconds all tests of one submission may take together."""
    tests: tuple[TestSpec, ...]
    """The tests, in order."""
    directory: Path
    """Folder holding this file and the starter it hands out."""
    reference_module: str = ""
    """Dotted name of the trusted reference solution (a variant uses the one of the assignment it extends)."""
    given: tuple[str, ...] = ()
    """Check-name patterns of the code the template hands out (their tests carry 0 points)."""
    solution: Path | None = None
    """A correct solution that must earn every point (``autograder check-assignment``): the reference module's
    file, unless the data names another (``solution = "..."``, relative to the repository)."""
    fixtures: Path | None = None
    """Folder of the exercise's fixtures (``correct/``, ``wrong/``): ``fixtures = "..."`` (relative to the
    repository, ``""`` for none), else ``tests/submissions/<id>`` where it exists."""
    kit: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The exercise's contract for the check kit (grader/checks/kit/): ``layers``, ``cases``, ``mistakes``."""
    schedule: dict[str, Any] | None = None
    """The ``[schedule]`` table (due date, late policy, close...), inherited by a variant; the service
    validates it (``service.schedule``)."""

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)


def known_assignments() -> list[str]:
    """Ids of every assignment under ``reference/``."""
    return sorted(p.parent.name for p in REFERENCE_DIR.glob("*/assignment.toml"))


@cache
def load(assignment_id: str, *, dropout_convention: str | None = None) -> Assignment:
    """Read and validate an assignment; ``dropout_convention`` overrides the file's."""
    raw, base = _raw(assignment_id)
    given = tuple(raw.get("given", ()))
    areas = frozenset(raw.get("areas", AREAS))
    tests = tuple(_test(i, t, given, areas) for i, t in enumerate(raw["tests"], start=1))
    convention = dropout_convention or raw.get("dropout_convention", "drop")
    if convention not in ("drop", "keep"):
        raise ValueError(f"dropout_convention must be 'drop' or 'keep', not {convention!r}")
    return Assignment(id=raw["id"], title=raw["title"], filename=raw.get("filename", "layers.py"),
                      dropout_convention=convention, call_timeout=float(raw.get("call_timeout", 5.0)),
                      submission_timeout=float(raw.get("submission_timeout", 120.0)),
                      tests=tests, directory=REFERENCE_DIR / assignment_id,
                      reference_module=f"reference.{base}.layers", given=given,
                      solution=REPO_DIR / raw.get("solution", f"reference/{base}/layers.py"),
                      fixtures=_fixtures(assignment_id, raw), kit={k: raw[k] for k in ("layers", "mistakes") if k in raw},
                      schedule=dict(raw["schedule"]) if "schedule" in raw else None)


def _raw(assignment_id: str) -> tuple[dict[str, Any], str]:
    """The assignment's data with everything it ``extends`` filled in, and the id owning its reference."""
    known = known_assignments()
    if assignment_id not in known:
        close = difflib.get_close_matches(assignment_id, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownAssignment(f"unknown assignment {assignment_id!r}.{hint} Known: {', '.join(known)}")
    raw = tomllib.loads((REFERENCE_DIR / assignment_id / "assignment.toml").read_text())
    if "extends" not in raw:
        return raw, assignment_id
    parent, base = _raw(raw["extends"])
    return {**parent, **{k: v for k, v in raw.items() if k != "extends"}}, base


def _fixtures(assignment_id: str, raw: dict[str, Any]) -> Path | None:
    if "fixtures" in raw:
        return REPO_DIR / raw["fixtures"] if raw["fixtures"] else None
    default = REPO_DIR / "tests" / "submissions" / assignment_id
    return default if default.is_dir() else None


def _test(number: int, raw: dict[str, Any], given: tuple[str, ...], areas: frozenset[str]) -> TestSpec:
    handed_out = any(fnmatch.fnmatchcase(raw["check"], pattern) for pattern in given)
    spec = TestSpec(number=str(number), name=raw["name"], check=raw["check"], tag=raw["tag"],
                    points=0.0 if handed_out else float(raw["points"]), visibility=raw.get("visibility", "visible"),
                    training=bool(raw.get("training", False)), params=dict(raw.get("params", {})),
                    given=handed_out, requires=raw.get("requires", ""))
    if spec.tag not in areas:
        raise ValueError(f"test {spec.name!r}: tag {spec.tag!r} is not one of {sorted(areas)}")
    if spec.visibility not in VISIBILITIES:
        raise ValueError(f"test {spec.name!r}: visibility {spec.visibility!r} is not one of {sorted(VISIBILITIES)}")
    return spec
