"""The dropout-forward checks: their error bounds, their power, their diagnoses, their determinism.

The statistical claims of grader/checks/dropout_forward.py and docs/statistics.md
are recomputed here from the cases the checks actually use, so a change of a case
that breaks a bound fails a test. The checks themselves run against small
submissions through a real sandbox, dropout tests only (the corpus covers whole files).
"""

from __future__ import annotations

import importlib
import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from grader.assignments import load
from grader.checks import dropout_samples as ds
from grader.checks.support.context import CheckContext, derive_seed
from grader.checks.support.dropout_stats import (
    FALSE_FAILURE,
    bernstein_halfwidth,
    binomial_interval,
    constant_axis_probability,
    mean_pass_bound,
    mean_tolerance,
    randn_drop_fractions,
)
from grader.report import Status
from grader.runner import _run_test
from grader.sandbox import SandboxFactory
from tests.conftest import ROOT, SUBMISSIONS

GOLDEN = Path(__file__).parent / "golden"
REFERENCE = (ROOT / "reference" / "ex08" / "layers.py").read_bytes()


# --- the bounds -----------------------------------------------------------------------------------

def test_binomial_interval_tails_are_exact_and_tight():
    for case in ds.FRACTION_CASES:
        iv = binomial_interval(math.prod(case.shape), case.q, ds.FRACTION_ALPHA)
        n, q, half = iv.n, iv.q, ds.FRACTION_ALPHA / 2
        assert stats.binom.cdf(iv.lo - 1, n, q) <= half < stats.binom.cdf(iv.lo, n, q)
        assert stats.binom.sf(iv.hi, n, q) <= half < stats.binom.sf(iv.hi - 1, n, q)


def test_fraction_test_fails_correct_code_with_probability_below_1e9():
    intervals = sum(binomial_interval(math.prod(c.shape), c.q, ds.FRACTION_ALPHA).false_failure
                    for c in ds.FRACTION_CASES)
    axes = sum(constant_axis_probability(c.shape, c.q) for c in ds.FRACTION_CASES)
    assert intervals <= FALSE_FAILURE / 2 and axes <= FALSE_FAILURE / 2
    assert intervals + axes <= FALSE_FAILURE


def test_bernstein_halfwidth_solves_the_bound():
    for variance, bound, alpha in [(1000.0, 6.0, 1e-9 / 3), (1e5, 40.0, 1e-10), (10.0, 1.0, 1e-3)]:
        t = bernstein_halfwidth(variance, bound, alpha)
        assert math.isclose(2 * math.exp(-t * t / (2 * (variance + bound * t / 3))), alpha, rel_tol=1e-9)


def test_mean_tolerance_holds_for_a_correct_implementation_by_simulation():
    """The bound is rigorous; a simulation at a loose alpha shows it is not vacuous the other way."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2000) + 10
    keep = 0.7
    tol = mean_tolerance(x, keep, 1e-2)
    sums = np.array([np.sum(x * (rng.random(x.size) < keep) / keep) for _ in range(2000)]) - x.sum()
    assert np.mean(np.abs(sums) > tol) <= 1e-2
    assert tol < 6 * np.std(sums)  # within a small factor of the true spread


def test_seeding_and_value_tests_have_negligible_chance_failures():
    for c in ds.SEED_CASES:
        assert 2 * (c.q**2 + (1 - c.q) ** 2) ** math.prod(c.shape) < 1e-100
    assert sum(c.q ** math.prod(c.shape) for c in ds.VALUE_CASES) < 1e-12  # no unit kept at all


# --- the power ------------------------------------------------------------------------------------

def _pass_probability(q_of_case) -> float:
    """Probability that a mask dropping q_of_case(case) passes every fraction case (independent calls)."""
    return math.prod(binomial_interval(math.prod(c.shape), c.q,
                                       ds.FRACTION_ALPHA).pass_probability(q_of_case(c))
                     for c in ds.FRACTION_CASES)


def test_fraction_test_catches_the_other_convention_and_randn_masks():
    assert _pass_probability(lambda c: 1 - c.q) < 1e-100
    for variant in randn_drop_fractions(0.5):
        for convention in ("drop", "keep"):
            def q_randn(c, variant=variant, convention=convention):
                p = c.q if convention == "drop" else 1 - c.q
                return randn_drop_fractions(p)[variant]
            assert _pass_probability(q_randn) < 1e-100, variant
    # the hint is right whenever the keep-convention count lands in its own interval: 1 - that much
    wrong_hint = sum(binomial_interval(math.prod(c.shape), 1 - c.q, ds.FRACTION_ALPHA).false_failure
                     for c in ds.FRACTION_CASES)
    assert wrong_hint <= FALSE_FAILURE / 2


@pytest.mark.parametrize(("mistake", "keep", "scale"), [
    ("missing_rescale", lambda q: 1 - q, lambda q: 1.0),
    ("divide_by_p", lambda q: 1 - q, lambda q: 1 / q),
    ("keep mask, 1/(1-p) scale", lambda q: q, lambda q: 1 / (1 - q)),
])
def test_mean_test_catches_biased_outputs(mistake, keep, scale):
    rng = np.random.default_rng(1)
    bounds = []
    for c in ds.MEAN_CASES:
        x = rng.standard_normal(c.shape) + 10
        tol = mean_tolerance(x, 1 - c.q, ds.MEAN_ALPHA)
        bounds.append(mean_pass_bound(x, keep(c.q), scale(c.q), tol))
    assert min(bounds) < 1e-20, (mistake, bounds)


# --- the diagnoses on synthetic outputs ------------------------------------------------------------

class _Ctx:
    def __init__(self, convention: str) -> None:
        self.assignment = load("ex08", dropout_convention=convention)


def _samples(convention: str, keep_of_q, scale_of_q, seed: int = 0) -> list[ds.Sample]:
    rng = np.random.default_rng(seed)
    out = []
    for c in ds.FRACTION_CASES:
        p = c.q if convention == "drop" else round(1 - c.q, 12)
        x = ds.make_input(rng, c)
        kept = rng.random(c.shape) < keep_of_q(c.q, p)
        y = (x * kept * scale_of_q(c.q, p)).astype(x.dtype)
        out.append(ds.Sample(c, p, 1 - c.q, x, y))
    return out


@pytest.mark.parametrize("convention", ["drop", "keep"])
def test_diagnose_names_each_scaling_and_convention_mistake(convention):
    ctx = _Ctx(convention)
    other, wrong_scale = ("keep_convention", "divide_by_p") if convention == "drop" else \
        ("drop_convention", "divide_by_one_minus_p")
    correct_keep = lambda q, p: 1 - q  # noqa: E731
    assert ds.diagnose(ctx, _samples(convention, correct_keep, lambda q, p: 1.0)) == "missing_rescale"
    assert ds.diagnose(ctx, _samples(convention, correct_keep, lambda q, p: 1 / q)) == wrong_scale
    assert ds.diagnose(ctx, _samples(convention, lambda q, p: q, lambda q, p: 1 / q)) == other
    randn = lambda q, p: 1 - stats.norm.cdf(p)  # noqa: E731  (kept when randn > p)
    assert ds.diagnose(ctx, _samples(convention, randn, lambda q, p: 1 / (1 - q))) == "randn_mask"
    assert ds.diagnose(ctx, _samples(convention, lambda q, p: 0.5, lambda q, p: 2.0)) == ""


def test_constant_axis_sees_rows_and_columns_but_not_an_all_kept_mask():
    rng = np.random.default_rng(0)
    rows = np.broadcast_to(rng.random((8, 1)) < 0.5, (8, 9))
    assert ds.constant_axis(rows) == 1
    assert ds.constant_axis(rows.T) == 0
    assert ds.constant_axis(np.zeros((8, 9), bool)) is None
    assert ds.constant_axis(rng.random((8, 9, 10)) < 0.5) is None


# --- the checks against real submissions ----------------------------------------------------------

@pytest.fixture(scope="module")
def factory():
    f = SandboxFactory()
    yield f
    f.close()


def grade_dropout(factory, source: bytes, *, convention: str = "drop", seed: int = 0,
                  tags=("dropout_forward",)):
    """Run the dropout tests of ex08 on ``source``, as the runner would, and return their results."""
    assignment = load("ex08", dropout_convention=convention)
    reference = importlib.import_module("reference.ex08.layers")
    sandbox = factory.open(source)
    try:
        return [_run_test(CheckContext(sandbox=sandbox, reference=reference, assignment=assignment, test=t,
                                       seed=derive_seed(seed, t.name), shared={}))
                for t in assignment.tests if t.tag in tags]
    finally:
        sandbox.close()


def _fixture(name: str) -> bytes:
    return (SUBMISSIONS / name).read_bytes()


@pytest.mark.parametrize("seed", range(5))
def test_reference_passes_every_dropout_forward_test(factory, seed):
    results = grade_dropout(factory, REFERENCE, seed=seed)
    assert len(results) == 8
    assert [(r.name, r.output) for r in results if r.status is not Status.PASSED] == []


def test_keep_convention_assignment_credits_cs231n_code_and_names_the_drop_convention(factory):
    cs231n = grade_dropout(factory, _fixture("keep/correct_cs231n.py"), convention="keep",
                           tags=("dropout_forward", "dropout_backward"))
    assert all(r.status is Status.PASSED for r in cs231n), [r.output for r in cs231n if r.score < r.max_score]
    drop_style = grade_dropout(factory, _fixture("correct/reference_style.py"), convention="keep")
    failed = {r.check: r.hint for r in drop_style if r.status is Status.FAILED}
    # One mistake, one deduction: the convention costs the fraction test; its 1/(1-p) scale is consistent
    # with the convention its mask follows, so the kept-units test does not charge it again.
    assert "dropout_forward.fraction_dropped" in failed
    assert "dropout_forward.kept_values_scaled" not in failed
    assert set(failed.values()) == {"drop_convention"}  # the mean may fail too: 1/q-scaled masks vary more


def test_same_seed_gives_identical_results_for_a_wrong_submission(factory):
    source = _fixture("wrong/dropout_forward__randn_mask.py")
    first = [r.to_dict() if hasattr(r, "to_dict") else vars(r)
             for r in grade_dropout(factory, source, seed=11)]
    second = [r.to_dict() if hasattr(r, "to_dict") else vars(r)
              for r in grade_dropout(factory, source, seed=11)]
    assert first == second
    assert any(r["hint"] == "randn_mask" for r in first)


def test_seeding_fails_code_that_ignores_or_fixes_the_seed(factory):
    body = REFERENCE.decode()
    ignores = body.replace('np.random.seed(dropout_param["seed"])', "pass")
    fixed = body.replace('if "seed" in dropout_param:\n        np.random.seed(dropout_param["seed"])',
                         'np.random.seed(dropout_param.get("seed", 0))')
    assert ignores != body and fixed != body
    for source, words in [(ignores, "same dropout_param['seed']"), (fixed, "without a seed")]:
        seeding = [r for r in grade_dropout(factory, source.encode()) if r.check == "dropout_forward.seeding"]
        assert seeding[0].status is Status.FAILED and words in seeding[0].output


BROKEN_FORWARD_IGNORED_MASK = """
def dropout_forward(x, dropout_param):
    return None


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout if dropout_param['mode'] == 'test' else dout / (1 - dropout_param['p'])
"""


def test_a_backward_judged_on_the_template_cache_still_gets_its_mistake_named(factory):
    # no usable forward: the backward is tried on the template's cache, with both layouts of the mask
    source = (REFERENCE.decode() + BROKEN_FORWARD_IGNORED_MASK).encode()
    results = grade_dropout(factory, source, tags=("dropout_backward",))
    numeric = next(r for r in results if r.check == "dropout_backward.numeric_gradient")
    assert numeric.status is Status.FAILED and numeric.hint == "backward_ignores_mask"
    assert "template's cache" in numeric.output and "scales dout but applies no mask" in numeric.output


# --- golden files: the student-facing texts of a few failures ----------------------------------------

GOLDEN_CASES = {
    "dropout_forward__keep_convention": ("wrong/dropout_forward__keep_convention.py", "drop",
                                         "dropout_forward.fraction_dropped"),
    "dropout_forward__keep_course_drop_code": ("correct/reference_style.py", "keep",
                                               "dropout_forward.fraction_dropped"),
    "dropout_forward__two_d_only": ("wrong/dropout_forward__two_d_only.py", "drop",
                                    "dropout_forward.any_shape"),
    "dropout_forward__whole_rows": ("wrong/dropout_forward__whole_rows.py", "drop",
                                    "dropout_forward.fraction_dropped"),
    "dropout_forward__no_rescale": ("wrong/dropout_forward__no_rescale.py", "drop",
                                    "dropout_forward.mean_preserved"),
    "dropout_forward__test_mode_times_p": ("wrong/dropout_forward__test_mode_times_p.py", "drop",
                                           "dropout_forward.test_mode"),
    "dropout_forward__modifies_input": ("wrong/dropout_forward__modifies_input.py", "drop",
                                        "dropout_forward.input_unchanged"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_failure_texts_match_golden_files(factory, name):
    fixture, convention, check = GOLDEN_CASES[name]
    result = next(r for r in grade_dropout(factory, _fixture(fixture), convention=convention, seed=1)
                  if r.check == check)
    text = f"status: {result.status.value}\nhint: {result.hint}\n\n{result.output}\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.read_text() == text


# --- the whole assignment under cs231n's keep convention ------------------------------------------------

@pytest.fixture(scope="module")
def keep_grader():
    from grader.runner import Grader

    g = Grader("ex08", dropout_convention="keep")
    yield g
    g.close()


def test_keep_course_gives_full_marks_to_cs231n_code(keep_grader):
    report = keep_grader.grade(_fixture("keep/correct_cs231n.py"), seed=3, training=False)
    assert [(t.name, t.output) for t in report.tests if t.score < t.max_score] == []


def test_keep_course_fails_drop_convention_code_in_dropout_forward_only_with_a_hint(keep_grader):
    report = keep_grader.grade(_fixture("correct/reference_style.py"), seed=3, training=False)
    lost = {t.tags[0] for t in report.tests if t.score < t.max_score}
    assert lost == {"dropout_forward"}
    assert {t.hint for t in report.tests if t.status is Status.FAILED} == {"drop_convention"}
