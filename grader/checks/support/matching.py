"""The one rule by which a wrong result is named after a known mistake, and the error measure it uses.

Every place that names a mistake from numbers calls :func:`match_distance`: ex08's candidate engine
(:func:`grader.checks.support.candidates.diagnose`), ex08's train-mode forward variants
(:func:`grader.checks.support.batchnorm_math.matching_variant`), and the check kit's judging and gates
(:mod:`grader.checks.kit.judging`, :mod:`grader.checks.kit.gates`). Given, by output name, the student's
outputs ``got``, what code with the mistake returns on the same inputs (``mistake``) and the correct
result (``reference``), the mistake is named when

1. it is *separated* from the reference: some output of the mistake differs from the reference's by
   more than ``SEPARATION`` times the tolerance (a mistake that coincides with the correct result on
   these inputs -- a term that happens to vanish -- cannot be told, so it is never named);
2. *every* output of ``got`` agrees with the mistake's: within the tolerance, and within 1% of that
   output's own distance from the reference where the mistake moves it by more than the tolerance
   (so a mistake that is itself almost correct needs an almost exact match, and an output part of the
   way between the reference and the mistake -- a slip half fixed, another error -- is not named after
   the mistake it only resembles); outputs the mistake leaves alone must then equal the reference;
3. the outputs of ``got`` are *not* all within the tolerance of the reference: a correct solution,
   which passes, is never named, whatever the mistakes.

A check with one output passes one-entry mappings. Distances are :func:`norm_error`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

SEPARATION = 1.0
"""A mistake is considered only where it differs from the reference by more than this many tolerances.

One is enough to keep a correct solution unnamed: a correct solution is within the tolerance of the
reference, and rule 3 never names that; a failing one must then sit within 1% of the mistake's own
distance from the reference, in every output the mistake moves."""

AGREEMENT = 0.01
"""How close to the mistake an output must be, as a fraction of the mistake's distance from the reference."""


def norm_error(actual: ArrayLike, expected: ArrayLike) -> float:
    """``max |actual - expected| / max |expected|``: the error relative to the array's own scale; infinite for
    different shapes.

    The notebook's elementwise ``rel_error`` divides by ``|a| + |b|`` entry by entry, so an entry that
    happens to be ~1e-9 turns harmless round-off into a "relative error" of 1e-3 and would fail correct
    code on unlucky data. Scaling by the largest entry cannot.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    if e.size == 0:
        return 0.0
    return float(np.max(np.abs(a - e)) / max(float(np.max(np.abs(e))), 1e-300))


def separated(mistake: Mapping[str, ArrayLike], reference: Mapping[str, ArrayLike], tol: float) -> bool:
    """Rule 1: some output of ``mistake`` differs from the reference's by more than ``SEPARATION * tol``."""
    return max(norm_error(mistake[n], reference[n]) for n in mistake) > SEPARATION * tol


def match_distance(got: Mapping[str, ArrayLike], mistake: Mapping[str, ArrayLike],
                   reference: Mapping[str, ArrayLike], tol: float) -> float | None:
    """How far ``got`` is from ``mistake`` (norm_error, worst output) when the mistake is named by the rules
    in the module docstring; None when it is not.

    ``mistake`` gives every output (the reference's where the mistake leaves one alone); ``reference``
    and ``got`` give at least those.
    """
    if all(norm_error(got[n], reference[n]) < tol for n in reference):
        return None
    if not separated(mistake, reference, tol):
        return None
    worst = 0.0
    for name, value in mistake.items():
        own = norm_error(value, reference[name])
        allowed = min(tol, AGREEMENT * own) if own > tol else tol
        err = norm_error(got[name], value)
        if not err < allowed:  # written so that NaN never agrees
            return None
        worst = max(worst, err)
    return worst
