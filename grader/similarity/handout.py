"""What the assignment hands out, which no student is credited or suspected for.

Three things, all read from the assignment as data (``grader.assignments``): the starter
file's code (every k-gram of it, normalised like a submission, so its docstrings and
comments are gone already), the functions the template hands out whole (every test of
that function's area is ``given`` in ``assignment.toml``: ex08's ``batchnorm_forward``),
and the names of the functions the assignment asks for (kept even if nothing calls them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from grader.assignments import load
from grader.similarity.fingerprints import every_kgram
from grader.similarity.normalise import units


@dataclass(frozen=True)
class Handout:
    """What is subtracted from every file before it is compared."""

    asked: frozenset[str] = frozenset()
    """Functions the starter defines: kept in a file even when nothing in it calls them."""
    given: frozenset[str] = frozenset()
    """Functions handed out whole: left out of every file."""
    kgrams: frozenset[int] = frozenset()
    """Every k-gram hash of the starter: removed from every file's fingerprints."""


NOTHING = Handout()


@cache
def handout(assignment_id: str) -> Handout:
    """The handout of an assignment id (raises ``UnknownAssignment``)."""
    assignment = load(assignment_id)
    starter = (assignment.directory / "starter" / assignment.filename).read_text()
    areas: dict[str, list[bool]] = {}
    for test in assignment.tests:
        areas.setdefault(test.tag, []).append(test.given)
    given = frozenset(area for area, flags in areas.items() if all(flags))
    starter_units = units(starter, drop=given)
    asked = frozenset(u.name for u in units(starter))
    return Handout(asked=asked, given=given, kgrams=every_kgram(starter_units))
