"""Code that does nothing useful earns only what it honestly gets right.

Each file in tests/submissions/no_free_points/ lists here, per area, the most
points it may keep: the parts it implements correctly (and the template's
given test-mode branches), nothing for a backward that merely agrees with a
forward that does nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import SUBMISSIONS

FOLDER = SUBMISSIONS / "no_free_points"
# file -> {area: most points it may keep (of that area's maximum)}
CEILINGS = {
    # correct batch norm; dropout returns x unchanged and its backward returns dout
    "identity_dropout.py": {"dropout_forward": 2.0, "dropout_backward": 1.0},
    # out = gamma * x + beta (no normalisation) with its matching gradient; correct dropout
    "unnormalised_batchnorm.py": {"batchnorm_backward": 0.0},
    # every function returns zeros of the right shape
    # forward replays its first output when the input is only perturbed; backward returns zeros
    "replayed_batchnorm_forward.py": {"batchnorm_backward": 0.0},
    "replayed_dropout_forward.py": {"dropout_backward": 1.0},
    # forward exact at first, slightly off once the backward tests start, to pick the template's cache
    "forward_steers_cache_choice.py": {"batchnorm_backward": 0.0},
    "all_zeros.py": {"batchnorm_forward": 0.5, "batchnorm_backward": 0.0, "dropout_forward": 1.0,
                     "dropout_backward": 0.0},
}


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_no_points_beyond_the_honest_parts(grader, name):
    report = grader.grade((FOLDER / name).read_bytes(), seed=4, training=False)
    for area, ceiling in CEILINGS[name].items():
        earned = sum(t.score for t in report.tests if t.tags == [area])
        assert earned <= ceiling, [(t.name, t.score) for t in report.tests if t.tags == [area] and t.score]
