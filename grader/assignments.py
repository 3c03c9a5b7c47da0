"""Assignments as data: ``reference/<id>/assignment.toml`` names the checks, points and conventions."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
AREAS = frozenset(["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
                   "dropout_forward", "dropout_backward", "training"])
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
    """Folder holding the reference, the starter and this file."""

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)


def known_assignments() -> list[str]:
    """Ids of every assignment under ``reference/``."""
    return sorted(p.parent.name for p in REFERENCE_DIR.glob("*/assignment.toml"))


@cache
def load(assignment_id: str, *, dropout_convention: str | None = None) -> Assignment:
    """Read and validate an assignment; ``dropout_convention`` overrides the file's."""
    known = known_assignments()
    if assignment_id not in known:
        close = difflib.get_close_matches(assignment_id, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownAssignment(f"unknown assignment {assignment_id!r}.{hint} Known: {', '.join(known)}")
    directory = REFERENCE_DIR / assignment_id
    raw = tomllib.loads((directory / "assignment.toml").read_text())
    tests = tuple(_test(i, t) for i, t in enumerate(raw["tests"], start=1))
    convention = dropout_convention or raw.get("dropout_convention", "drop")
    if convention not in ("drop", "keep"):
        raise ValueError(f"dropout_convention must be 'drop' or 'keep', not {convention!r}")
    return Assignment(id=raw["id"], title=raw["title"], filename=raw.get("filename", "layers.py"),
                      dropout_convention=convention, call_timeout=float(raw.get("call_timeout", 5.0)),
                      submission_timeout=float(raw.get("submission_timeout", 120.0)),
                      tests=tests, directory=directory)


def _test(number: int, raw: dict[str, Any]) -> TestSpec:
    spec = TestSpec(number=str(number), name=raw["name"], check=raw["check"], tag=raw["tag"],
                    points=float(raw["points"]), visibility=raw.get("visibility", "visible"),
                    training=bool(raw.get("training", False)), params=dict(raw.get("params", {})))
    if spec.tag not in AREAS:
        raise ValueError(f"test {spec.name!r}: tag {spec.tag!r} is not one of {sorted(AREAS)}")
    if spec.visibility not in VISIBILITIES:
        raise ValueError(f"test {spec.name!r}: visibility {spec.visibility!r} is not one of {sorted(VISIBILITIES)}")
    return spec
