"""The batch-norm checks: correct code of every shape passes, each known mistake fails with its name.

Most tests grade a whole file through the session's warm grader (as students
are graded); the arithmetic of tolerances and mistake variants is also tested
directly, without a sandbox.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import reference.ex08.layers as ref
from grader.checks import batchnorm_backward as bb
from grader.checks import batchnorm_forward as bf
from grader.checks.support import batchnorm_candidates as bc
from grader.checks.support import batchnorm_math as bm
from grader.checks.support import candidates
from grader.report import Status
from tests.conftest import ROOT, SUBMISSIONS

GOLDEN = Path(__file__).resolve().parent / "golden"
BATCHNORM = ("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt")


def _source(rel: str) -> bytes:
    return (SUBMISSIONS / rel).read_bytes()


def _results(grader, source: bytes, seed: int = 1) -> dict[tuple[str, str], object]:
    """Batch-norm results of one grading, keyed by (area tag, check name)."""
    report = grader.grade(source, seed=seed, training=False)
    return {(t.tags[0], t.check): t for t in report.tests if t.tags[0] in BATCHNORM}


def _layers_with(**functions: str) -> bytes:
    """The reference file with some functions replaced by student-style source."""
    text = (ROOT / "reference" / "ex08" / "layers.py").read_text()
    return (text + "\n\n" + "\n\n".join(functions.values())).encode()


# --- correct code passes --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_float32_correct_forwards_pass_train_output(grader, seed):
    # the template's forward and one with the rounding-prone E[x^2] - E[x]^2 variance
    for rel in ("correct/batchnorm_staged_backward.py", "correct/batchnorm_seven_tuple_cache.py"):
        result = _results(grader, _source(rel), seed)[("batchnorm_forward", "batchnorm_forward.train_output")]
        assert result.status is Status.PASSED, result.output
        assert "float64 and float32" in result.output


def test_notebook_case_numeric_gradient_is_tight_for_the_reference():
    rng = np.random.default_rng(231)
    x, gamma, beta = 5 * rng.standard_normal((4, 5)) + 12, rng.standard_normal(5), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    _, cache = ref.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    analytic = ref.batchnorm_backward(dout, cache)
    forward = lambda a, g, b: ref.batchnorm_forward(a, g, b, {"mode": "train"})[0]  # noqa: E731
    for columnwise in (True, False):
        numeric = bm.numeric_gradients(forward, x, gamma, beta, dout, bb.STEP * x.std(axis=0), columnwise)
        errors = [bm.norm_error(a, n) for a, n in zip(analytic, numeric, strict=True)]
        assert max(errors) < bb.NUMERIC_TOL / 100, errors


def test_dict_cache_forward_with_matching_backward_gets_full_marks_on_its_own_cache(grader):
    results = _results(grader, _source("correct/batchnorm_own_forward_dict_cache.py"))
    for check in ("batchnorm_backward.numeric_gradient", "batchnorm_backward.reference"):
        result = results[("batchnorm_backward", check)]
        assert result.status is Status.PASSED and result.score == result.max_score
        assert result.data["checked_on_template_cache"] == []


def test_wrong_forward_with_a_template_correct_backward_is_credited(grader):
    results = _results(grader, _source("wrong/batchnorm_forward__unbiased_variance.py"))
    assert results[("batchnorm_forward", "batchnorm_forward.train_output")].hint == "unbiased_variance"
    for check in ("batchnorm_backward.numeric_gradient", "batchnorm_backward.reference"):
        result = results[("batchnorm_backward", check)]
        assert result.status is Status.PASSED, result.output
        assert result.data["checked_on_template_cache"] and "template's cache" in result.output


def test_backward_consistent_with_its_own_wrong_forward_is_judged_on_the_template_cache(grader):
    # Forward and backward both without eps: the backward is the exact gradient of the student's forward,
    # but a wrong forward is no yardstick (else out = gamma * x + beta with its gradient would earn points).
    staged = (SUBMISSIONS / "correct" / "batchnorm_staged_backward.py").read_text()
    source = staged.replace("sqrtvar = np.sqrt(var + eps)", "sqrtvar = np.sqrt(var)") \
                   .replace("dvar = 0.5 * 1. / np.sqrt(var + eps) * dsqrtvar",
                            "dvar = 0.5 * 1. / np.sqrt(var) * dsqrtvar")
    results = _results(grader, source.encode())
    assert results[("batchnorm_forward", "batchnorm_forward.train_output")].hint == "missing_eps"
    numeric = results[("batchnorm_backward", "batchnorm_backward.numeric_gradient")]
    assert numeric.status is Status.FAILED and "template's cache" in numeric.output, numeric.output
    assert numeric.hint == "missing_eps"


def test_hanging_forward_leaves_the_backward_judged_on_the_template_cache(grader):
    hang = "def batchnorm_forward(x, gamma, beta, bn_param):\n    while True:\n        pass\n"
    from grader.runner import Grader

    quick = Grader("ex08", call_timeout=0.5)
    try:
        report = quick.grade(_layers_with(forward=hang), seed=1, training=False)
    finally:
        quick.close()
    backward = [t for t in report.tests if t.tags == ["batchnorm_backward"]]
    assert all(t.status is Status.PASSED for t in backward), [t.output for t in backward]
    assert all("did not return within" in t.output for t in backward)


# --- mistakes fail, and are named only when they are what they look like -------------------------------

def test_every_backward_mistake_exceeds_the_tolerances_on_some_case():
    """On the checks' own batches, each candidate misses the correct gradients by >= 100x the tolerance
    somewhere."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        for table, tol in ((bb.NUMERIC_CASES, bb.NUMERIC_TOL), (bb.REFERENCE_CASES, bb.REFERENCE_TOL)):
            worst: dict[str, float] = {}
            for n, d, scale, offset, eps in table:
                x, gamma, _ = bm.batch(rng, n, d, scale, offset)
                v = bc.inputs(x, gamma, rng.standard_normal((n, d)), 1e-5 if eps is None else eps)
                correct = bc.correct(v)
                for c in bc.CANDIDATES:
                    got = {**correct, **(c.formula(v) or {})}
                    worst[c.name] = max([worst.get(c.name, 0.0),
                                         *(bm.norm_error(got[k], correct[k]) for k in got)])
            assert min(worst.values()) > 100 * tol, (seed, worst)


def test_every_forward_mistake_exceeds_the_train_output_tolerance():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        worst: dict[str, float] = {}
        for n, d, scale, offset, dtype, eps in bf.TRAIN_CASES:
            x, gamma, beta = bm.batch(rng, n, d, scale, offset, dtype)
            g, b, e = gamma.astype(float), beta.astype(float), 1e-5 if eps is None else eps
            correct = bm.forward(x, g, b, e)
            for key, _, out in bm.forward_variants(x, g, b, e):
                worst[key] = max(worst.get(key, 0.0),
                                 bm.norm_error(out, correct) / bf.OUT_TOL[np.dtype(dtype)])
        assert min(worst.values()) > 100, (seed, worst)


def test_round_off_is_not_taken_for_a_mistake():
    rng = np.random.default_rng(0)
    x, gamma, _ = bm.batch(rng, 6, 3, 0.01, 0.5)
    v = bc.inputs(x, gamma, rng.standard_normal((6, 3)), 1e-5)
    correct = bc.correct(v)
    noisy = {k: g * (1 + 1e-9 * rng.standard_normal(g.shape)) for k, g in correct.items()}
    assert candidates.diagnose("batchnorm_backward", v, noisy, correct, bb.REFERENCE_TOL) is None
    missing_mean = {**correct, "dx": bm.backward_dx(x, gamma, v["dout"], 1e-5, mean_path=False)}
    found = candidates.diagnose("batchnorm_backward", v, missing_mean, correct, bb.REFERENCE_TOL)
    assert found is not None and found.candidate.hint == "missing_mean_path"


TWO_SLIPS = """
def batchnorm_backward(dout, cache):
    _, x_norm, _, gamma, _, ivar, _, _, _ = cache
    N = dout.shape[0]
    dx_norm = dout * gamma
    dx = ivar / N * (N * dx_norm - dx_norm.sum(axis=0) - 2 * x_norm * (dx_norm * x_norm).sum(axis=0))
    return dx, (dout * x_norm).sum(axis=0), dout.mean(axis=0)
"""


def test_two_slips_at_once_are_not_named_and_the_message_says_where_the_gradients_part(grader):
    # the variance term doubled and dbeta averaged: each is a candidate, the two together are none
    result = _results(grader,
                      _layers_with(backward=TWO_SLIPS))[("batchnorm_backward",
                                                         "batchnorm_backward.reference")]
    assert result.status is Status.FAILED and result.hint == ""
    wrong = "the dx and dbeta of batchnorm_backward differ from the reference gradient (dgamma is right)"
    assert wrong in result.output
    assert "dx by up to" in result.output and "dbeta by up to" in result.output
    assert "first at row 0, column 0:" in result.output and "first at entry 0:" in result.output
    assert "times it" in result.output and "exactly what" not in result.output


# Another hand than the fixtures': a staged backward in the style of many published solutions, with its cache
# unpacked from the template's 9-tuple under other names; each slip must get its hint.
OTHER_HAND = """
def batchnorm_backward(dout, cache):
    _, x_hat, _, gamma, x_mu, inv_var, _, var, eps = cache
    N, D = dout.shape
    dxhat = dout * gamma
    dvar = np.sum(dxhat * x_mu, axis=0) * -.5 * inv_var ** 3
    dmu = np.sum(dxhat * -inv_var, axis=0) + dvar * np.mean(-2. * x_mu, axis=0)
    dx = (dxhat * inv_var) + (dvar * 2 * x_mu / N) + (dmu / N)
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    return dx, dgamma, dbeta
"""
OTHER_HAND_SLIPS = {
    "var_path_missing_1_over_n": ("(dvar * 2 * x_mu / N)", "(dvar * 2 * x_mu)"),
    "var_path_missing_half": ("* -.5 * inv_var ** 3", "* -1. * inv_var ** 3"),
    "mean_path_missing_1_over_n": ("+ (dmu / N)", "+ dmu"),
    "eps_outside_sqrt": ("inv_var ** 3", "(1. / (np.sqrt(var) + eps)) ** 3"),
    "averaged_not_summed": ("dbeta = np.sum(dout, axis=0)", "dbeta = np.mean(dout, axis=0)"),
}


def test_the_other_hand_is_correct_as_written(grader):
    result = _results(grader,
                      _layers_with(backward=OTHER_HAND))[("batchnorm_backward",
                                                          "batchnorm_backward.reference")]
    assert result.status is Status.PASSED, result.output


@pytest.mark.parametrize("hint", sorted(OTHER_HAND_SLIPS))
def test_slips_written_by_another_hand_are_named(grader, hint):
    old, new = OTHER_HAND_SLIPS[hint]
    assert OTHER_HAND.count(old) == 1
    results = _results(grader, _layers_with(backward=OTHER_HAND.replace(old, new)))
    assert results[("batchnorm_backward", "batchnorm_backward.reference")].hint == hint


def test_a_named_backward_mistake_wins_over_alt_only(grader):
    # missing mean path in batchnorm_backward, correct batchnorm_backward_alt beside it
    results = _results(grader, _source("wrong/batchnorm_backward__missing_mean_path.py"))
    assert results[("batchnorm_backward", "batchnorm_backward.reference")].hint == "missing_mean_path"
    assert results[("batchnorm_backward_alt", "batchnorm_backward.reference")].status is Status.PASSED


def test_invalid_mode_raising_another_exception_fails_without_claiming_a_mode_was_accepted(grader):
    forward = ref_forward_raising("KeyError('mode')")
    result = _results(grader,
                      _layers_with(forward=forward))[("batchnorm_forward", "batchnorm_forward.invalid_mode")]
    assert result.status is Status.FAILED and result.hint == ""
    assert "raised KeyError" in result.output


def ref_forward_raising(exc: str) -> str:
    source = (ROOT / "reference" / "ex08" / "layers.py").read_text()
    start = source.index("def batchnorm_forward")
    body = source[start:source.index("\ndef batchnorm_backward")]
    return body.replace("raise ValueError(f'Invalid forward batchnorm mode \"{mode}\"')", f"raise {exc}") \
        .replace('raise ValueError(f\'Invalid forward batchnorm mode "{mode}"\')', f"raise {exc}")


# --- golden files: the student-facing texts -------------------------------------------------------------

GOLDEN_CASES = {
    "batchnorm_forward__running_swapped": ("wrong/batchnorm_forward__running_swapped.py",
                                           "batchnorm_forward", "batchnorm_forward.running_averages"),
    "batchnorm_forward__test_uses_batch_stats": ("wrong/batchnorm_forward__test_uses_batch_stats.py",
                                                 "batchnorm_forward", "batchnorm_forward.test_mode"),
    "batchnorm_backward__missing_mean_path": ("wrong/batchnorm_backward__missing_mean_path.py",
                                              "batchnorm_backward", "batchnorm_backward.reference"),
    "batchnorm_backward__missing_eps": ("wrong/batchnorm_backward__missing_eps.py",
                                        "batchnorm_backward", "batchnorm_backward.numeric_gradient"),
    "batchnorm_backward__four_tuple_cache": ("wrong/batchnorm_backward__four_tuple_cache_inconsistent.py",
                                             "batchnorm_backward", "batchnorm_backward.reference"),
    "batchnorm_backward__alt_only": ("wrong/batchnorm_backward__alt_only.py",
                                     "batchnorm_backward", "batchnorm_backward.numeric_gradient"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_batchnorm_failure_texts_match_golden_files(variant_grader, name):
    fixture, area, check = GOLDEN_CASES[name]
    # batchnorm_forward is handed out in ex08: its texts are pinned where students write it
    assignment = "ex08_2020" if area == "batchnorm_forward" else "ex08"
    result = _results(variant_grader(assignment), _source(fixture))[(area, check)]
    text = f"status: {result.status.value}\nhint: {result.hint}\n\n{result.output}\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.read_text() == text
