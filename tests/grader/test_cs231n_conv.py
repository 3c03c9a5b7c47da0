"""cs231n_conv, graded by the check kit: its corpus, its fixture matrix, nothing for nothing.

The fixtures live in tests/submissions/cs231n_conv/: ``correct/`` (a loop-based solution as the
notebook asks for, and a vectorised one with caches of its own), ``wrong/`` (one known mistake per
file, named ``<function>__<mistake>.py``, first line ``# expect: hint=<key>``) and
``no_free_points/``. Graded at seed 1 without the training checks, as ex08's matrix is.
"""

from __future__ import annotations

import re

import pytest

from grader.report import Status
from tests.conftest import ROOT, SUBMISSIONS

ASSIGNMENT = "cs231n_conv"
FOLDER = SUBMISSIONS / ASSIGNMENT
CORRECT = sorted((FOLDER / "correct").glob("*.py"))
WRONG = sorted((FOLDER / "wrong").glob("*.py"))
NOTHING = sorted((FOLDER / "no_free_points").glob("*.py"))
STARTER = ROOT / "reference" / ASSIGNMENT / "starter" / "layers.py"
NUMERIC = {
    "conv": "conv_backward_naive: numerical gradient of your conv_forward_naive",
    "pool": "max_pool_backward_naive: numerical gradient of your max_pool_forward_naive",
    "sbn": "spatial_batchnorm_backward: numerical gradient of your spatial_batchnorm_forward",
}
"""The notebook's gradient checks (0 points): a backward that is not the gradient of the student's own
forward fails them, a wrong forward included; the report lists them under that one mistake."""

MATRIX = {
    "wrong/conv_backward_naive__db_averaged.py": {
        NUMERIC["conv"]: 0,
        "conv_backward_naive: db agrees with the reference": 1,
    },
    "wrong/conv_backward_naive__dw_stride_ignored.py": {
        NUMERIC["conv"]: 0,
        "conv_backward_naive: dw agrees with the reference": 3,
    },
    "wrong/conv_backward_naive__dx_not_cropped.py": {
        NUMERIC["conv"]: 0,
        "conv_backward_naive: dx agrees with the reference": 3,
    },
    "wrong/conv_forward_naive__height_for_width.py": {
        "conv_forward_naive: H != W and a non-square kernel": 2,
    },
    "wrong/conv_forward_naive__kernel_flipped.py": {
        "conv_forward_naive: cross-correlation (stride 1, no padding)": 3,
        NUMERIC["conv"]: 0,
    },
    "wrong/conv_forward_naive__padding_one_side.py": {
        "conv_forward_naive: zero padding on every side": 2,
        NUMERIC["conv"]: 0,
    },
    "wrong/conv_forward_naive__stride_ignored.py": {
        "conv_forward_naive: stride 2": 2,
        NUMERIC["conv"]: 0,
    },
    "wrong/max_pool_forward_naive__average_pooling.py": {
        "max_pool_forward_naive: 2x2 windows, stride 2": 2,
        NUMERIC["pool"]: 0,
    },
    "wrong/max_pool_backward_naive__gradient_spread.py": {
        NUMERIC["pool"]: 0,
        "max_pool_backward_naive: dx agrees with the reference (windows apart)": 2,
    },
    "wrong/max_pool_backward_naive__overwrites.py": {
        NUMERIC["pool"]: 0,
        "max_pool_backward_naive: dx agrees with the reference (overlapping windows)": 1,
    },
    "wrong/max_pool_forward_naive__stride_is_size.py": {
        "max_pool_forward_naive: a stride other than the window's size": 1,
        NUMERIC["pool"]: 0,
    },
    "wrong/spatial_batchnorm_backward__channels_not_last.py": {
        NUMERIC["sbn"]: 0,
        "spatial_batchnorm_backward: dx, dgamma and dbeta agree with the reference": 3,
    },
    "wrong/spatial_batchnorm_forward__channels_not_last.py": {
        "spatial_batchnorm_forward: train mode, statistics per channel over N, H and W": 3,
        NUMERIC["sbn"]: 0,
    },
}


@pytest.fixture(scope="module")
def conv_grader(variant_grader):
    return variant_grader(ASSIGNMENT)


def _expectations(path):
    m = re.match(r"# expect:(.*)$", path.read_text().splitlines()[0])
    assert m, f"{path.name} must start with '# expect: hint=<key>'"
    return dict(kv.split("=", 1) for kv in m.group(1).split())


@pytest.mark.parametrize("path", [ROOT / "reference" / ASSIGNMENT / "layers.py", *CORRECT], ids=lambda p: p.stem)
def test_correct_solution_gets_full_marks_and_passes_every_test(conv_grader, path):
    report = conv_grader.grade(path.read_bytes(), seed=1, training=False)
    assert report.max_score == 30
    assert [(t.name, t.output) for t in report.tests if t.status is not Status.PASSED] == []


def test_every_mistake_fixture_is_in_the_matrix():
    assert {f"wrong/{p.name}" for p in WRONG} == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_fixture_fails_exactly_its_tests(conv_grader, name):
    report = conv_grader.grade((FOLDER / name).read_bytes(), seed=1, training=False)
    failed = {t.name: round(t.max_score - t.score, 6) for t in report.tests if t.status is not Status.PASSED}
    assert failed == MATRIX[name]


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.stem)
def test_mistake_costs_points_in_its_function_only_as_one_named_mistake(conv_grader, path):
    area = path.stem.split("__")[0]
    report = conv_grader.grade(path.read_bytes(), seed=1, training=False)
    lost = {t.tags[0] for t in report.tests if t.score < t.max_score}
    assert lost == {area}
    assert len(report.mistakes) == 1, [(m.hint, m.tests) for m in report.mistakes]
    hint = _expectations(path).get("hint")
    assert report.mistakes[0].hint == (hint or "")
    if hint:
        assert any(t.hint == hint for t in report.tests if t.tags == [area] and t.max_score > 0)


@pytest.mark.parametrize("path", [STARTER, *NOTHING], ids=lambda p: p.stem)
def test_code_that_implements_nothing_earns_nothing(conv_grader, path):
    report = conv_grader.grade(path.read_bytes(), seed=4, training=False)
    assert [(t.name, t.score) for t in report.tests if t.score] == []


def test_starter_hands_out_batchnorm_and_cs231n_signatures():
    text = STARTER.read_text()
    for signature in ("conv_forward_naive(x, w, b, conv_param)", "conv_backward_naive(dout, cache)",
                      "max_pool_forward_naive(x, pool_param)", "max_pool_backward_naive(dout, cache)",
                      "spatial_batchnorm_forward(x, gamma, beta, bn_param)", "spatial_batchnorm_backward(dout, cache)"):
        assert f"def {signature}:" in text
    assert "x_norm = (x - mean) * ivar" in text and "dgamma = (dout * x_norm).sum(axis=0)" in text


# --- the training check ---------------------------------------------------------------------------------

TRAINING = ["training: a small CNN on your conv and max pool learns like the reference",
            "training: the same CNN with your spatial batch norm learns like the reference"]


@pytest.fixture(scope="module")
def warm_conv_grader(conv_grader):
    conv_grader.warm_up()  # the reference CNN runs, once
    return conv_grader


def test_training_passes_on_correct_layers_with_their_own_caches(warm_conv_grader):
    report = warm_conv_grader.grade((FOLDER / "correct" / "vectorised.py").read_bytes(), seed=2)
    assert report.score == report.max_score == 35
    trained = [t for t in report.tests if t.name in TRAINING]
    assert len(trained) == 2 and all(t.data["curves"]["yours"] == t.data["curves"]["reference"] for t in trained)


@pytest.mark.parametrize(("name", "function", "hint"), [
    ("max_pool_backward_naive__gradient_spread", "max_pool_backward_naive", "pool_gradient_spread"),
    # pooling after a ReLU sees tied zeros: any split of their gradient is right, so pooling is not blamed here
    ("conv_forward_naive__kernel_flipped", "conv_forward_naive", "kernel_flipped"),
])
def test_a_wrong_layer_trains_differently_and_is_listed_as_that_one_mistake(warm_conv_grader, name, function, hint):
    report = warm_conv_grader.grade((FOLDER / "wrong" / f"{name}.py").read_bytes(), seed=2)
    failed = {t.name: t for t in report.tests if t.status is not Status.PASSED}
    assert set(TRAINING) <= set(failed)
    assert all(failed[n].data["caused_by"] == [function] for n in TRAINING)
    assert f"{function} gave different numbers" in failed[TRAINING[0]].output
    assert [m.hint for m in report.mistakes] == [hint]


@pytest.mark.slow
@pytest.mark.parametrize("path", [*CORRECT, STARTER], ids=lambda p: p.stem)
def test_training_pays_the_loop_based_solution_and_not_the_starter(warm_conv_grader, path):
    report = warm_conv_grader.grade(path.read_bytes(), seed=3)
    earned = sum(t.score for t in report.tests if t.name in TRAINING)
    assert earned == (0 if path == STARTER else 5), [(t.name, t.output) for t in report.tests if t.name in TRAINING]


def test_a_hanging_forward_costs_its_own_tests_and_its_backward_is_still_graded(conv_grader):
    path = FOLDER / "robustness" / "hanging_conv_forward.py"
    report = conv_grader.grade(path.read_bytes(), seed=1, training=False)
    not_passed = {t.name: t.status for t in report.tests if t.status is not Status.PASSED}
    assert {t.tags[0] for t in report.tests if t.name in not_passed} == {"conv_forward_naive", "conv_backward_naive"}
    assert set(not_passed.values()) == {Status.TIMEOUT}
    assert report.score == 30 - 9  # the backward, judged on the reference's cache, keeps its 7 points
    backward = next(t for t in report.tests if t.name == "conv_backward_naive: dw agrees with the reference")
    assert "built by the reference" in backward.output and "did not return within" in backward.output


def test_similarity_works_for_the_second_exercise():
    from grader.similarity import compare

    files = {p.name: p.read_text() for p in (*CORRECT, FOLDER / "wrong" / "conv_forward_naive__kernel_flipped.py",
                                             STARTER)}
    result = compare(files, assignment=ASSIGNMENT, min_score=0.0)
    flagged = {frozenset((p.a, p.b)) for p in result.pairs if p.score >= result.threshold}
    assert flagged == {frozenset(("loops.py", "conv_forward_naive__kernel_flipped.py"))}
