"""Naming a wrong result by the mistake that produces it: candidate formulas, computed and matched in the
judge.

A :class:`Candidate` is one known wrong way to write a function, most often a backward pass: given
the very inputs the judge handed to the student's code (``x``, ``gamma``, ``dout``, ``eps``, a
dropout mask...), its ``formula`` computes what the function returns when written with that one
mistake. Candidates are data: a module lists them per function with :func:`register` (the batch-norm
ones in ``batchnorm_candidates.py``, the dropout ones in ``dropout_candidates.py``); another
exercise adds its own module and list (kernel flipped, stride ignored, ``db`` averaged...), and the
engine below is the same. A formula is trusted numpy run by the judge; the student's code only runs
in the sandbox, as always, and its outputs are compared here.

:func:`diagnose` names a candidate by the one rule every named mistake follows
(:func:`grader.checks.support.matching.match_distance`, the same for the check kit): the candidate is
separated from the reference on these inputs, *every* output of the student's function agrees with
the candidate's (within the tolerance and within 1% of that output's own distance from the
reference), and the student's outputs are not all within the tolerance of the reference, so a correct
solution is never named.

Where several match (they should not: ``tests/grader/test_candidates.py`` shows the candidates of
each function apart on the checks' own inputs), the closest wins. When none matches,
:func:`where_it_differs` says in words where an output first leaves the reference.

Distances are :func:`norm_error`: the largest deviation relative to the largest entry of the
expected array.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.support.matching import match_distance, separated
from grader.checks.support.matching import norm_error as norm_error
from grader.feedback import HINTS, add_hints

Array = np.ndarray
Inputs = Mapping[str, Any]
Formula = Callable[[Inputs], "Mapping[str, Array] | None"]


@dataclass(frozen=True)
class Candidate:
    """One known mistake in one function, as the formula that computes what it returns."""

    name: str
    """Unique within its function, e.g. ``mean_path_missing_1_over_n``."""
    hint: str
    """Key of the hint shown when it matches (:data:`grader.feedback.HINTS`); several candidates may share
    one."""
    what: str
    """Completes "Your gradients are exactly what a backward gives that ...": where in the chain rule it goes
    wrong."""
    formula: Formula
    """``inputs -> {output name: array}`` for the outputs the mistake changes (the others are the
    reference's); None where the mistake cannot be told from the correct result on these inputs."""
    text: str = ""
    """The hint's text, when ``hint`` is not in :data:`grader.feedback.HINTS` yet (another exercise's own
    hints)."""


@dataclass(frozen=True)
class CandidateSet:
    """The candidates of one function and the names of its outputs, in the order it returns them."""

    function: str
    outputs: tuple[str, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Match:
    """The candidate the student's outputs match, and how far they are from it (norm_error, worst output)."""

    candidate: Candidate
    distance: float


_SETS: dict[str, CandidateSet] = {}


def register(function: str, outputs: Sequence[str], candidates: Iterable[Candidate]) -> CandidateSet:
    """Register the candidates of ``function`` (whose outputs are named ``outputs``); returns the set.

    Refuses a function registered twice, two candidates of one name, and a hint without a text.
    """
    if function in _SETS:
        raise ValueError(f"candidates of {function!r} registered twice")
    listed = tuple(candidates)
    names = [c.name for c in listed]
    if len(set(names)) != len(names):
        raise ValueError(f"candidates of {function!r}: duplicate names in {names}")
    for c in listed:
        if c.text:
            add_hints({c.hint: c.text})
        if c.hint not in HINTS:
            raise ValueError(f"candidate {function}.{c.name}: hint {c.hint!r} has no text (give "
                             "Candidate.text)")
    _SETS[function] = CandidateSet(function, tuple(outputs), listed)
    return _SETS[function]


def candidates_of(function: str) -> CandidateSet | None:
    """The candidate set registered for ``function``, or None."""
    return _SETS.get(function)


def predictions(function: str, inputs: Inputs, reference: Mapping[str, Array],
                tol: float) -> list[tuple[Candidate, dict[str, Array]]]:
    """Each separated candidate of ``function`` with the full outputs it predicts on ``inputs``."""
    found = candidates_of(function)
    if found is None:
        return []
    out = []
    for c in found.candidates:
        changed = c.formula(inputs)
        if changed is None:
            continue
        predicted = {name: np.asarray(changed.get(name, reference[name]),
                                      np.float64) for name in found.outputs}
        if separated(predicted, reference, tol):
            out.append((c, predicted))
    return out


def diagnose(function: str, inputs: Inputs, got: Mapping[str, Array], reference: Mapping[str, Array],
             tol: float) -> Match | None:
    """The candidate of ``function`` that ``got`` matches on ``inputs`` (rules in the module docstring), or
    None."""
    if all(norm_error(got[n], reference[n]) < tol for n in reference):  # no candidate to compute
        return None
    best: Match | None = None
    for c, predicted in predictions(function, inputs, reference, tol):
        distance = match_distance(got, predicted, reference, tol)
        if distance is not None and (best is None or distance < best.distance):
            best = Match(c, distance)
    return best


def where_it_differs(got: Array, want: Array, tol: float, against: str = "the reference") -> str:
    """Where ``got`` first leaves ``want`` (row-major) by ``tol`` of its largest entry, in words: the entry,
    both values and their ratio; ``against`` names ``want``. Empty when it never does."""
    g = np.asarray(got, np.float64)
    w = np.asarray(want, np.float64)
    scale = max(float(np.max(np.abs(w))), 1e-300) if w.size else 1.0
    off = np.argwhere(np.abs(g - w) >= tol * scale)
    if not off.size:
        return ""
    index = tuple(int(i) for i in off[0])
    a, b = float(g[index]), float(w[index])
    ratio = "" if b == 0 else f" ({a / b:.4g} times it)" if abs(a / b - 1) >= 1e-3 else \
        f" (1 {'+' if a / b > 1 else '-'} {abs(a / b - 1):.2e} times it)"
    return f"first at {_entry(index)}: {a:.6g} where {against} has {b:.6g}{ratio}"


def _entry(index: tuple[int, ...]) -> str:
    if len(index) == 1:
        return f"entry {index[0]}"
    if len(index) == 2:
        return f"row {index[0]}, column {index[1]}"
    return f"index {index}"
