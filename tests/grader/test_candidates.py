"""The candidate engine (grader/checks/support/candidates.py) and the candidates of ex08, judge-side only.

What keeps a hint honest: a correct result is never named, each candidate's own result is named as
itself (or as a candidate with the same hint: they give the same numbers), a result near a candidate
but not on it is not named, and every candidate can be told from the reference on the checks' own
batches. The sandboxed half (a student's file named by its hint) is the fixture matrix's.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference.ex08.layers as ref
from grader.checks import batchnorm_backward as bb
from grader.checks import dropout_backward as db
from grader.checks.support import batchnorm_candidates as bc
from grader.checks.support import batchnorm_math as bm
from grader.checks.support import candidates
from grader.checks.support import dropout_candidates as dc
from grader.feedback import HINTS
from tests.conftest import ROOT

CASES = [(table, tol) for table, tol in ((bb.NUMERIC_CASES, bb.NUMERIC_TOL), (bb.REFERENCE_CASES, bb.REFERENCE_TOL))]


def _batchnorm_cases(seed: int):
    """(inputs, the reference module's gradients by name, tol) on every batch the two backward checks use."""
    rng = np.random.default_rng(seed)
    for table, tol in CASES:
        for n, d, scale, offset, eps in table:
            x, gamma, beta = bm.batch(rng, n, d, scale, offset)
            dout = rng.standard_normal((n, d))
            e = 1e-5 if eps is None else eps
            _, cache = ref.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": e})
            grads = dict(zip(bc.OUTPUTS, ref.batchnorm_backward(dout, cache), strict=True))
            yield bc.inputs(x, gamma, dout, e), grads, tol


def _dropout_cases(seed: int):
    rng = np.random.default_rng(seed)
    for shape, p in db.CASES:
        for keep in (1 - p, p):  # both conventions
            kept = rng.random(shape) < keep
            dout = rng.standard_normal(shape)
            v = dc.inputs(dout, kept / keep)
            yield v, {"dx": dout * kept / keep}, db.MATCH_TOL


def _cases(function: str, seed: int):
    return _batchnorm_cases(seed) if function.startswith("batchnorm") else _dropout_cases(seed)


FUNCTIONS = ["batchnorm_backward", "dropout_backward"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_reference_is_never_named_and_its_round_off_neither(function):
    for seed in range(100):
        for v, grads, tol in _cases(function, seed):
            rng = np.random.default_rng(seed)
            assert candidates.diagnose(function, v, grads, grads, tol) is None
            noisy = {k: g * (1 + 1e-9 * rng.standard_normal(g.shape)) for k, g in grads.items()}
            assert candidates.diagnose(function, v, noisy, grads, tol) is None


# ~1 s a seed on a quiet machine (every candidate against every other, on six batches)
SEEDS = [pytest.param(range(6), id="6-seeds"),
         pytest.param(range(6, 106), id="100-seeds", marks=[pytest.mark.slow, pytest.mark.timeout(1200)])]


@pytest.mark.parametrize("seeds", SEEDS)
@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_candidate_is_named_by_its_hint_and_only_on_its_own_numbers(function, seeds):
    for seed in seeds:
        for v, grads, tol in _cases(function, seed):
            for c, predicted in candidates.predictions(function, v, grads, tol):
                found = candidates.diagnose(function, v, predicted, grads, tol)
                assert found is not None and found.candidate.hint == c.hint, (seed, c.name, found)
                # 5% of the way back to the reference: a different mistake, or two; not this one
                near = {k: p + 0.05 * (grads[k] - p) for k, p in predicted.items()}
                assert candidates.diagnose(function, v, near, grads, tol) is None, (seed, c.name)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_candidate_shows_on_some_batch_of_its_checks(function):
    seen = {c.name for v, grads, tol in _cases(function, 0) for c, _ in candidates.predictions(function, v, grads, tol)}
    registered = candidates.candidates_of(function)
    assert registered is not None
    assert seen == {c.name for c in registered.candidates}


def test_the_alternative_backward_has_the_same_candidates():
    alt, staged = candidates.candidates_of("batchnorm_backward_alt"), candidates.candidates_of("batchnorm_backward")
    assert alt is not None and staged is not None and alt.candidates == staged.candidates


def test_the_candidates_cover_the_classic_slips_of_a_batchnorm_backward():
    hints = {c.hint for c in bc.CANDIDATES}
    assert {"averaged_not_summed", "mean_path_missing_1_over_n", "var_path_missing_half", "unbiased_variance",
            "eps_outside_sqrt", "centred_not_normalised", "dx_sum_over_wrong_axis", "missing_mean_path",
            "missing_var_path", "missing_eps"} <= hints
    assert all(c.hint in HINTS for c in bc.CANDIDATES + dc.CANDIDATES)


def test_every_hint_of_a_candidate_is_in_the_docs():
    text = (ROOT / "docs" / "hints.md").read_text()
    assert [c.hint for c in bc.CANDIDATES + dc.CANDIDATES if f"`{c.hint}`" not in text] == []


def test_the_inputs_rebuild_the_reference_gradient():
    for v, grads, _ in _batchnorm_cases(3):
        mine = bc.correct(v)
        assert all(bm.norm_error(mine[k], grads[k]) < 1e-12 for k in grads)


def test_registering_refuses_duplicates_and_hints_without_text():
    ok = candidates.Candidate("a", "missing_mean_path", "does a", lambda v: {"y": v["x"]})
    with pytest.raises(ValueError, match="registered twice"):
        candidates.register("batchnorm_backward", ("dx",), [ok])
    with pytest.raises(ValueError, match="duplicate names"):
        candidates.register("tests.dup", ("y",), [ok, ok])
    with pytest.raises(ValueError, match="no text"):
        candidates.register("tests.textless", ("y",), [candidates.Candidate("b", "no_such_hint", "b", ok.formula)])


def test_another_exercise_brings_its_own_candidates_and_hint_texts():
    flipped = candidates.Candidate("kernel_not_flipped", "tests_kernel_not_flipped", "correlates where it convolves",
                                   lambda v: {"dw": v["dw"][::-1]}, text="Flip the kernel.")
    candidates.register("tests.conv_backward", ("dw", "db"), [flipped])
    assert HINTS["tests_kernel_not_flipped"] == "Flip the kernel."
    reference = {"dw": np.array([1.0, 2.0, 3.0]), "db": np.array([0.5])}
    got = {"dw": np.array([3.0, 2.0, 1.0]), "db": np.array([0.5])}
    found = candidates.diagnose("tests.conv_backward", reference, got, reference, 1e-6)
    assert found is not None and found.candidate.name == "kernel_not_flipped"
    # every output must agree: the same dw with a wrong db is not this mistake
    assert candidates.diagnose("tests.conv_backward", reference, {**got, "db": np.array([1.0])}, reference, 1e-6) is None


def test_where_it_differs_gives_the_entry_the_values_and_the_ratio():
    want = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = want.copy()
    got[1, 0] = 6.0
    assert candidates.where_it_differs(got, want, 1e-6) == \
        "first at row 1, column 0: 6 where the reference has 3 (2 times it)"
    assert "entry 2" in candidates.where_it_differs(np.array([1.0, 2.0, 3.1]), np.array([1.0, 2.0, 3.0]), 1e-6)
    assert candidates.where_it_differs(want, want, 1e-6) == ""


def test_the_checks_the_hints_suggest_hold_for_a_correct_dx_and_fail_for_the_slip():
    rng = np.random.default_rng(5)
    x, gamma, _ = bm.batch(rng, 6, 4, 2.0, 1.0)
    dout = rng.standard_normal((6, 4))
    v = bc.inputs(x, gamma, dout, 0.0)
    dx = bc.correct(v)["dx"]
    scale = np.abs(dx).max()
    assert np.abs(dx.sum(axis=0)).max() < 1e-12 * scale
    assert np.abs((dx * v["x_norm"]).sum(axis=0)).max() < 1e-12 * scale
    missing_mean = bc.paths(mean=0)(v)["dx"]
    doubled_var = bc.paths(var=2.0)(v)["dx"]
    assert np.abs(missing_mean.sum(axis=0)).max() > 1e-3 * scale
    assert np.abs((doubled_var * v["x_norm"]).sum(axis=0)).max() > 1e-3 * scale
    # compact_form_n_misplaced: gamma = 1 and dout = one 1 gives ivar * (1 - 1/N - x_norm**2 / N) at that 1
    one = np.zeros((6, 4))
    one[2, 1] = 1.0
    w = bc.inputs(x, np.ones(4), one, 1e-5)
    n = 6
    assert np.isclose(bc.correct(w)["dx"][2, 1], w["ivar"][1] * (1 - 1 / n - w["x_norm"][2, 1] ** 2 / n))
    # averaged_not_summed: dout = ones gives dbeta = N everywhere
    assert np.all(bc.inputs(x, gamma, np.ones((6, 4)), 1e-5)["dbeta"] == 6)
