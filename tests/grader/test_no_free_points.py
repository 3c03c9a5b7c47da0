"""Code that does nothing useful earns only what it honestly gets right.

Each file in tests/submissions/no_free_points/ lists here, per area, the most
points it may keep: the parts it implements correctly (and the template's
given test-mode branches), nothing for a backward that merely agrees with a
forward that does nothing.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, SUBMISSIONS

FOLDER = SUBMISSIONS / "no_free_points"
VARIANTS = ("ex08", "ex08_2020", "ex08_cs231n")
NOTHING = ["returns_none.py", "raises_not_implemented.py", "returns_input.py", "returns_constant.py",
           "all_zeros.py"]
"""Files whose functions implement nothing: they earn 0 points in every test."""
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


def _starter(assignment: str):
    return ROOT / "reference" / assignment / "starter" / "layers.py"


@pytest.mark.parametrize("assignment", VARIANTS)
@pytest.mark.parametrize("name", ["starter", *NOTHING])
def test_code_that_implements_nothing_earns_nothing(variant_grader, assignment, name):
    path = _starter(assignment) if name == "starter" else FOLDER / name
    report = variant_grader(assignment).grade(path.read_bytes(), seed=4, training=False)
    assert report.max_score > 0
    assert [(t.name, t.score) for t in report.tests if t.score] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["starter", *NOTHING])
def test_code_that_implements_nothing_earns_no_training_points(grader, name):
    grader.warm_up()
    path = _starter("ex08") if name == "starter" else FOLDER / name
    report = grader.grade(path.read_bytes(), seed=4, training=True)
    assert [(t.name, t.score) for t in report.tests if t.score] == []


def test_each_variant_hands_out_its_own_starter():
    from grader.assignments import load

    for assignment in VARIANTS:
        loaded = load(assignment)
        assert (loaded.directory / "starter" / "layers.py").exists()
        assert loaded.reference_module == "reference.ex08.layers"
    ex08, y2020, cs231n = (load(a) for a in VARIANTS)
    assert all(t.points == 0 and t.given for t in ex08.tests if t.tag == "batchnorm_forward")
    assert any(t.points > 0 for t in y2020.tests if t.tag == "batchnorm_forward")
    assert "keep each neuron output with probability p" in _starter("ex08_cs231n").read_text()
    assert cs231n.dropout_convention == "keep" and y2020.dropout_convention == "drop"
    assert "sample_mean = np.mean(x, axis=0)" in _starter("ex08").read_text()  # handed out
    assert "sample_mean = np.mean(x, axis=0)" not in _starter("ex08_2020").read_text()
