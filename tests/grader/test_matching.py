"""The one rule that names a mistake (grader/checks/support/matching.py), shared by ex08's candidate engine,
ex08's forward variants and the check kit.

What it guarantees: a correct output is never named, whatever the mistake (even one that equals the
reference); a mistake's own output is; an output part of the way between the reference and the
mistake is not, however small the mistake's distance from the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.support.matching import AGREEMENT, SEPARATION, match_distance, norm_error, separated

TOL = 1e-7


def _one(value):
    return {"out": value}


def _reference(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((6, 5))


def _mistake(reference: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """An array ``distance`` (norm_error) away from ``reference``, in a random direction."""
    step = np.random.default_rng(seed + 1000).standard_normal(reference.shape)
    return reference + distance * np.max(np.abs(reference)) * step / np.max(np.abs(step))


# Mistakes from "the reference itself" to "far off", through the tolerance and just above it.
DISTANCES = [0.0, 1e-12, 0.5 * TOL, TOL, 1.01 * TOL, 2 * TOL, 10 * TOL, 1e-3, 1.0]


@pytest.mark.parametrize("distance", DISTANCES)
def test_a_correct_output_is_never_matched_whatever_the_mistake(distance):
    for seed in range(20):
        reference = _reference(seed)
        mistake = _mistake(reference, distance, seed)
        rng = np.random.default_rng(seed + 2000)
        for roundoff in (0.0, 1e-15, 0.5 * TOL, 0.99 * TOL):
            got = reference + roundoff * np.max(np.abs(reference)) * rng.uniform(-1, 1, reference.shape)
            assert norm_error(got, reference) < TOL
            assert match_distance(_one(got), _one(mistake), _one(reference), TOL) is None
        # an output that is exactly the mistake, when the mistake is itself within the tolerance
        if distance < TOL:
            assert match_distance(_one(mistake), _one(mistake), _one(reference), TOL) is None


@pytest.mark.parametrize("distance", [1.01 * TOL, 2 * TOL, 10 * TOL, 1e-3, 1.0])
def test_a_mistakes_own_output_is_matched(distance):
    reference = _reference(1)
    mistake = _mistake(reference, distance, 1)
    assert match_distance(_one(mistake.copy()), _one(mistake), _one(reference), TOL) == 0.0
    # round-off around the mistake, well inside 1% of its distance, still matches
    nudged = mistake * (1 + 1e-4 * min(TOL, AGREEMENT * distance))
    found = match_distance(_one(nudged), _one(mistake), _one(reference), TOL)
    assert found is not None and found < AGREEMENT * distance


@pytest.mark.parametrize("distance", [1.01 * TOL, 2 * TOL, 10 * TOL, 1e-3, 1.0])
@pytest.mark.parametrize("way", [0.05, 0.5, 0.9, 0.95, 0.98])
def test_an_output_between_the_reference_and_the_mistake_is_not_matched(distance, way):
    reference = _reference(2)
    mistake = _mistake(reference, distance, 2)
    between = reference + way * (mistake - reference)
    assert match_distance(_one(between), _one(mistake), _one(reference), TOL) is None


def test_within_one_percent_of_the_mistakes_distance_it_matches_beyond_it_does_not():
    reference = _reference(3)
    mistake = _mistake(reference, 1e-3, 3)
    assert match_distance(_one(reference + 0.999 * (mistake - reference)), _one(mistake), _one(reference),
                          TOL) is None  # 0.1% of the way back is 1e-6 here, ten tolerances
    assert match_distance(_one(reference + (1 - 1e-6) * (mistake - reference)), _one(mistake),
                          _one(reference), TOL) is not None
    near = _mistake(reference, 10 * TOL, 3)  # a mistake ten tolerances out: 1% of that is 0.1 TOL
    assert match_distance(_one(reference + 0.995 * (near - reference)), _one(near), _one(reference),
                          TOL) is not None
    assert match_distance(_one(reference + 0.98 * (near - reference)), _one(near), _one(reference),
                          TOL) is None


def test_every_output_must_agree_and_those_the_mistake_leaves_alone_must_be_the_references():
    ref = {"dx": _reference(4), "db": _reference(5)[0]}
    mistake = {"dx": ref["dx"] * 2, "db": ref["db"]}  # changes dx only
    assert match_distance({"dx": ref["dx"] * 2, "db": ref["db"].copy()}, mistake, ref, TOL) == 0.0
    assert match_distance({"dx": ref["dx"] * 2, "db": ref["db"] * 3}, mistake, ref, TOL) is None
    assert match_distance({"dx": ref["dx"].copy(), "db": ref["db"] * 3}, mistake, ref, TOL) is None
    assert separated(mistake, ref, TOL) and not separated(ref, ref, TOL)
    assert SEPARATION == 1.0  # the rule's documented margin (docs/hints.md)


def test_nan_and_another_shape_never_match():
    reference = _reference(6)
    mistake = reference * 2
    assert match_distance(_one(np.full_like(reference, np.nan)), _one(mistake), _one(reference), TOL) is None
    assert match_distance(_one(mistake.T), _one(mistake), _one(reference), TOL) is None
    assert norm_error(mistake.T, mistake) == float("inf")
