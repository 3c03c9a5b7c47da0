"""Checks of what ``dropout_forward(x, dropout_param) -> (out, cache)`` computes in train mode.

Its properties (seeding, test mode, input not modified, quiet, any number of dimensions) are
checked in :mod:`grader.checks.dropout_forward_properties`. Every case here is 2-D, the
notebook's shape, so that 2-D-only code loses the one test about other shapes only.

How each test can fail a *correct* implementation, and how likely that is
(derivations in :mod:`grader.checks.support.dropout_stats`, the numbers for the cases
below in docs/statistics.md; every bound is computed for the actual n and q):

* ``fraction_dropped`` (statistical): per case the dropped count must lie in
  the exact Binomial(n, q) acceptance interval whose tails hold at most
  ``FALSE_FAILURE / 2 / cases``; the drop pattern must not be constant along an
  axis (probability ``(q^L + (1-q)^L)^(n/L)`` per axis for a correct mask, a
  union bound far below the other half of the budget). Total < 1e-9.
* ``mean_preserved`` (statistical): per case ``|sum(out) - sum(x)|`` must stay
  within the two-sided Bernstein bound at ``FALSE_FAILURE / cases``, computed
  from the actual x. Total < 1e-9.
* ``kept_values_scaled``: deterministic for correct code, except that each
  value case needs one kept unit (a correct mask keeps none with probability
  ``q^n`` < 1e-13). The scale is judged against the convention the mask follows:
  a mask of the other convention (named with the fraction test's own bounds) is
  charged once, by ``fraction_dropped``, and its 1/p scale is then consistent.

Power against each targeted mistake (the probability a wrong implementation
still passes) is tabulated in docs/statistics.md and tested in
tests/grader/test_dropout_checks.py.
"""

from __future__ import annotations

import math

import numpy as np

from grader.checks.dropout_samples import (
    FRACTION_ALPHA,
    FRACTION_CASES,
    MEAN_ALPHA,
    MEAN_CASES,
    ULPS,
    VALUE_CASES,
    Case,
    Sample,
    constant_axis,
    diagnose,
    fraction_hint,
    kept_scale,
    other_convention,
    train_samples,
)
from grader.checks.registry import check
from grader.checks.support.context import CheckContext, Fail, Verdict
from grader.checks.support.dropout_stats import binomial_interval, mean_tolerance


@check("dropout_forward.fraction_dropped")
def fraction_dropped(ctx: CheckContext) -> Verdict:
    """The share of units dropped matches p, unit by unit: six 2-D inputs of 720 to 3,000 units, p from 0.05
    to 0.95, float32 and float64; exact binomial bounds (docs/statistics.md)."""
    samples = train_samples(ctx, FRACTION_CASES, "fraction", inspect=_independent_units)
    wrong = [s for s in samples if not binomial_interval(s.n, s.case.q, FRACTION_ALPHA).accepts(s.dropped)]
    if wrong:
        lines = [_fraction_line(s) for s in wrong]
        raise Fail("The fraction of units dropped does not match p:\n" + "\n".join(lines) +
                   f"\n(A correct implementation falls outside these ranges with probability below "
                   f"{FRACTION_ALPHA:.0e} per case.)", hint=fraction_hint(ctx, samples))
    return Verdict(True, f"The fraction of units dropped matches p in all {len(samples)} cases "
                         "(p from 0.05 to 0.95, 2-D inputs), and units are dropped independently.")


def _independent_units(s: Sample) -> None:
    axis = constant_axis(s.out == 0)
    if axis is not None:
        raise Fail(f"With {s.describe()}, the units dropped are the same all along axis {axis}: whole "
                   f"{'columns' if axis == 0 else 'rows'} are dropped together instead of single units.",
                   hint="drop_rows")


def _fraction_line(s: Sample) -> str:
    interval = binomial_interval(s.n, s.case.q, FRACTION_ALPHA)
    return (f"- with {s.describe()}: {s.dropped} of {s.n} units dropped ({s.dropped / s.n:.1%}); "
            f"expected about {s.case.q:.0%}: between {interval.lo} and {interval.hi}.")


@check("dropout_forward.kept_values_scaled")
def kept_values_scaled(ctx: CheckContext) -> Verdict:
    """Every kept unit is exactly x / k (k the keep probability), in x's dtype: six 2-D inputs, float32 and
    float64, p from 0.05 to 0.95. A mask of the other convention is judged with that convention's k."""
    samples = train_samples(ctx, VALUE_CASES, "values")
    for s in samples:
        if s.out.dtype != s.x.dtype:
            raise Fail(f"With {s.describe()}, out has dtype {s.out.dtype}: it must keep x's dtype (the "
                       "template ends with out = out.astype(x.dtype, copy=False)).", hint="output_dtype")
    bad = [s for s in samples if not _scaled_exactly(s)]
    if bad and fraction_hint(ctx, samples) == other_convention(ctx):
        # The mask follows the other convention: that one mistake is fraction_dropped's. Scaled by one over
        # its own keep probability, the kept units are consistent with it and pass here.
        others = [Sample(s.case, s.p, 1.0 - s.keep, s.x, s.out) for s in samples]
        if all(_scaled_exactly(s) for s in others):
            return Verdict(True,
                           "Every kept unit equals x divided by the probability with which your mask keeps "
                                 f"units, in x's dtype, in all {len(samples)} cases. (Your mask follows the "
                                 "other "
                                 "convention of p: the fraction test costs that, once.)")
    if bad:
        s = bad[0]
        raise Fail(f"With {s.describe()}, the kept units (out != 0) must equal x / {s.keep:g}, the input "
                   f"divided by the keep probability; {_measured_scale(s)}", hint=diagnose(ctx, samples))
    return Verdict(True, f"Every kept unit equals x divided by the keep probability, in x's dtype, in all "
                         f"{len(samples)} cases (float32 and float64, 2-D inputs).")


def _scaled_exactly(s: Sample) -> bool:
    kept = s.out != 0
    if not kept.any():  # a correct mask keeps none with probability q**n < 1e-13 here
        return False
    expected = s.x[kept].astype(np.float64) / s.keep
    tolerance = ULPS * np.finfo(s.x.dtype).eps * np.abs(expected)
    return bool(np.all(np.abs(s.out[kept].astype(np.float64) - expected) <= tolerance))


def _measured_scale(s: Sample) -> str:
    kept = s.out != 0
    if not kept.any():
        return "but every unit was dropped."
    ratios = s.out[kept].astype(np.float64) / s.x[kept].astype(np.float64)
    lo, hi = float(ratios.min()), float(ratios.max())
    if np.isclose(lo, hi, rtol=1e-5):
        return f"your kept units are x times {lo:.6g} instead of x times {1 / s.keep:.6g}."
    return f"the ratio out / x of your kept units varies from {lo:.4g} to {hi:.4g}."


def _mean_input(rng: np.random.Generator, case: Case) -> np.ndarray:
    return (rng.standard_normal(case.shape) + 10.0).astype(case.dtype)  # the notebook's randn + 10


@check("dropout_forward.mean_preserved")
def mean_preserved(ctx: CheckContext) -> Verdict:
    """The train-mode output has the input's mean (inverted dropout), within a Bernstein bound: three 2-D
    inputs of 4,000 units, x = randn + 10 as in the notebook, p = 0.3, 0.75, 0.05."""
    samples = train_samples(ctx, MEAN_CASES, "mean", inputs=_mean_input)
    for s in samples:
        # An output that drops nothing (or everything) is no dropout, whatever its mean: a correct mask
        # of these sizes (n >= 4000, keep in [0.05, 0.95]) keeps all or none with probability < 1e-89.
        if s.dropped in (0, s.n):
            raise Fail(f"With {s.describe()}, out "
                       f"{'drops no unit' if s.dropped == 0 else 'drops every unit'}: "
                       "train-mode dropout must drop each unit with probability p, so the mean cannot be "
                       "judged.", hint=diagnose(ctx, samples))
        keeps_mean = _scale_keeps_the_mean(s)
        if keeps_mean is not None:
            if keeps_mean:
                continue
            kept = s.n - s.dropped
            scale = kept_scale(s) or 0.0
            raise Fail(f"With {s.describe()}, out keeps {kept / s.n:.1%} of the units and scales them by "
                       f"{scale:.4g}, so its expected mean is {kept / s.n * scale:.3f} "
                       "times the input's: train-mode dropout must scale the kept units by one over the "
                       "fraction it keeps.", hint=diagnose(ctx, samples))
        total = float(np.sum(s.x, dtype=np.float64))
        got = float(np.sum(s.out, dtype=np.float64))
        tolerance = mean_tolerance(s.x, s.keep, MEAN_ALPHA)
        if not abs(got - total) <= tolerance:
            raise Fail(f"With {s.describe()} (mean {total / s.n:.4f}), the mean of out is {got / s.n:.4f}; "
                       f"train-mode dropout must keep the mean, within +-{tolerance / s.n:.4f} here (a "
                       "correct "
                       f"implementation falls outside with probability below {MEAN_ALPHA:.0e}).",
                       hint=diagnose(ctx, samples))
    return Verdict(True, f"The mean of the output equals the mean of the input in all {len(samples)} cases.")


def _scale_keeps_the_mean(s: Sample) -> bool | None:
    """For an output that scales every kept unit by one factor c: is c one over the fraction it keeps?

    The expected mean of such an output is c * k times the input's, k being the implementation's own
    probability of keeping a unit, so the mean is preserved iff 1/c = k. k is estimated by the kept
    fraction f of n units: by Hoeffding, |f - k| <= sqrt(log(2 / alpha) / (2 n)) except with
    probability alpha (MEAN_ALPHA, so at most 1e-9 over the cases). The verdict then does not hinge
    on the luck of one mask, also for a wrong convention that still preserves the mean (keep
    instead of drop, scaled by 1/p), which the fraction test already costs points. ``None`` when the
    kept units share no common factor: the Bernstein test on the sums decides then.
    """
    c = kept_scale(s)
    if c is None or c <= 0:
        return None
    f = (s.n - s.dropped) / s.n
    slack = math.sqrt(math.log(2 / MEAN_ALPHA) / (2 * s.n))
    return abs(1 / c - f) <= slack
