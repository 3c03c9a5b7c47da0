"""Checks of ``dropout_forward(x, dropout_param) -> (out, cache)``.

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
* ``seeding`` (statistical only through chance collisions): two independent
  correct masks coincide with probability ``(q^2 + (1-q)^2)^n``, < 1e-100 here.
* ``kept_values_scaled``, ``test_mode``, ``input_unchanged``, ``quiet``:
  deterministic for correct code, except that each value case needs one kept
  unit (a correct mask keeps none with probability ``q^n`` < 1e-13).

Power against each targeted mistake (the probability a wrong implementation
still passes) is tabulated in docs/statistics.md and tested in
tests/grader/test_dropout_checks.py.
"""

from __future__ import annotations

import math

import numpy as np

from grader.checks.registry import check
from grader.checks.support.context import CheckContext, Fail, Verdict
from grader.checks.support.dropout_samples import (
    FRACTION_ALPHA,
    FRACTION_CASES,
    MEAN_ALPHA,
    MEAN_CASES,
    SEED_CASES,
    TEST_MODE_CASES,
    ULPS,
    VALUE_CASES,
    Case,
    Sample,
    constant_axis,
    diagnose,
    forward_out,
    fraction_hint,
    kept_scale,
    make_input,
    shape_text,
    student_p,
    train_samples,
)
from grader.checks.support.dropout_stats import binomial_interval, mean_tolerance
from grader.sandbox.judge import OUTPUT_CAP as OUTPUT_SHOWN


@check("dropout_forward.fraction_dropped")
def fraction_dropped(ctx: CheckContext) -> Verdict:
    """The share of units dropped matches p, unit by unit, on 1-D to 5-D inputs."""
    samples = train_samples(ctx, FRACTION_CASES, "fraction", inspect=_independent_units)
    wrong = [s for s in samples if not binomial_interval(s.n, s.case.q, FRACTION_ALPHA).accepts(s.dropped)]
    if wrong:
        lines = [_fraction_line(s) for s in wrong]
        raise Fail("The fraction of units dropped does not match p:\n" + "\n".join(lines) +
                   f"\n(A correct implementation falls outside these ranges with probability below "
                   f"{FRACTION_ALPHA:.0e} per case.)", hint=fraction_hint(ctx, samples))
    return Verdict(True, f"The fraction of units dropped matches p in all {len(samples)} cases "
                         "(p from 0.05 to 0.95, 1-D to 5-D inputs), and units are dropped independently.")


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
    """Every kept unit is exactly x / k (k the keep probability), in x's dtype."""
    samples = train_samples(ctx, VALUE_CASES, "values")
    for s in samples:
        if s.out.dtype != s.x.dtype:
            raise Fail(f"With {s.describe()}, out has dtype {s.out.dtype}: it must keep x's dtype (the "
                       "template ends with out = out.astype(x.dtype, copy=False)).")
    bad = [s for s in samples if not _scaled_exactly(s)]
    if bad:
        s = bad[0]
        raise Fail(f"With {s.describe()}, the kept units (out != 0) must equal x / {s.keep:g}, the input "
                   f"divided by the keep probability; {_measured_scale(s)}", hint=diagnose(ctx, samples))
    return Verdict(True, f"Every kept unit equals x divided by the keep probability, in x's dtype, in all "
                         f"{len(samples)} cases (float32 and float64, 1-D to 5-D).")


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
    """The train-mode output has the input's mean (inverted dropout), within a Bernstein bound."""
    samples = train_samples(ctx, MEAN_CASES, "mean", inputs=_mean_input)
    for s in samples:
        # An output that drops nothing (or everything) is no dropout, whatever its mean: a correct mask
        # of these sizes (n >= 4000, keep in [0.05, 0.95]) keeps all or none with probability < 1e-89.
        if s.dropped in (0, s.n):
            raise Fail(f"With {s.describe()}, out {'drops no unit' if s.dropped == 0 else 'drops every unit'}: "
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
                       f"train-mode dropout must keep the mean, within +-{tolerance / s.n:.4f} here (a correct "
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


@check("dropout_forward.seeding")
def seeding(ctx: CheckContext) -> Verdict:
    """The same dropout_param['seed'] gives the same mask, another seed another, no seed fresh masks."""
    for i, case in enumerate(SEED_CASES):
        x = make_input(ctx.rng("seeding", i), case)
        p = student_p(ctx, case.q)
        seeds = ctx.rng("param-seeds", i).choice(100_000, size=2, replace=False)

        def mask(seed: int | None, param_seed: object = None, x: np.ndarray = x, p: float = p,
                 shape: tuple[int, ...] = case.shape) -> np.ndarray:
            param = {"mode": "train", "p": p} | ({} if param_seed is None else {"seed": int(param_seed)})  # type: ignore[call-overload]
            return forward_out(ctx, x, param, seed, shape) == 0

        first = mask(ctx.student_seed("seeding", i, 1), seeds[0])
        again = mask(ctx.student_seed("seeding", i, 2), seeds[0])  # other global state before the call
        if not np.array_equal(first, again):
            raise Fail(f"Two calls with the same dropout_param['seed'] = {seeds[0]} (p = {p:g}, a "
                       f"{shape_text(case.shape)} input) dropped different units. When a seed is given, call "
                       "np.random.seed(dropout_param['seed']) before drawing the mask.")
        if np.array_equal(first, mask(ctx.student_seed("seeding", i, 3), seeds[1])):
            raise Fail(f"dropout_param['seed'] = {seeds[0]} and {seeds[1]} gave the same mask: the mask "
                       "must depend on the seed.")
        unseeded = mask(ctx.student_seed("seeding", i, 4))
        if np.array_equal(unseeded, mask(None)):  # the child's generator simply continues
            raise Fail(f"Two calls without a seed (p = {p:g}, a {shape_text(case.shape)} input) dropped the "
                       "same units. "
                       "Without 'seed' in dropout_param, every call must draw a fresh mask: do not seed "
                       "the generator with a fixed value.")
    return Verdict(True, "The same seed gives the same mask, different seeds different masks, and calls "
                         "without a seed draw fresh masks.")


@check("dropout_forward.test_mode")
def test_mode(ctx: CheckContext) -> Verdict:
    """Test mode returns the input unchanged (same values, same dtype), with or without a seed."""
    rng = ctx.rng("test-mode")
    for i, case in enumerate(TEST_MODE_CASES):
        x = make_input(rng, case)
        p = student_p(ctx, case.q)
        param = {"mode": "test", "p": p} | ({"seed": 7} if i % 2 else {})
        out = forward_out(ctx, x, param, ctx.student_seed("test-mode", i), case.shape)
        if out.dtype != x.dtype or not np.array_equal(out, x):
            message, hint = _test_mode_difference(x, out)
            raise Fail(f"In test mode (p = {p:g}, a {shape_text(case.shape)} {case.dtype} input) out must be x "
                       "unchanged, "
                       f"but {message}", hint=hint)
    return Verdict(True, "Test mode returns the input unchanged.")


def _test_mode_difference(x: np.ndarray, out: np.ndarray) -> tuple[str, str]:
    if out.dtype != x.dtype and np.array_equal(out.astype(np.float64), x.astype(np.float64)):
        return f"it has dtype {out.dtype} instead of {x.dtype}.", ""
    zeros = int(np.count_nonzero(out == 0))
    if zeros:
        return f"{zeros} of {x.size} units are zero: test mode must not apply a mask.", "scaled_at_test"
    ratios = out.astype(np.float64) / x.astype(np.float64)
    if np.allclose(ratios, ratios.flat[0], rtol=1e-5):
        return f"it is x times {ratios.flat[0]:.6g}: test mode must not scale.", "scaled_at_test"
    return f"it differs from x by up to {np.max(np.abs(out - x)):.3g}.", ""


@check("dropout_forward.input_unchanged")
def input_unchanged(ctx: CheckContext) -> Verdict:
    """dropout_forward leaves the caller's x as it was, in train and test mode."""
    rng = ctx.rng("input")
    for i, (case, mode) in enumerate([(Case((20, 30), 0.3), "train"), (Case((4, 5, 6), 0.6, "float32"), "train"),
                                      (Case((20, 30), 0.3), "test")]):
        x = make_input(rng, case)
        handle = ctx.sandbox.put(x)  # the student's function gets this very array, not a copy
        forward_out(ctx, handle, {"mode": mode, "p": student_p(ctx, case.q)}, ctx.student_seed("input", i),
                    case.shape)
        after = ctx.sandbox.get(handle)
        if type(after) is not np.ndarray or after.shape != x.shape or after.dtype != x.dtype:
            raise Fail(f"In {mode} mode, dropout_forward changed the input array itself (its shape, dtype "
                       "or type), not only a copy of it.", hint="input_modified")
        if not np.array_equal(after, x):
            changed = int(np.count_nonzero(after != x))
            raise Fail(f"In {mode} mode, dropout_forward changed {changed} of the {x.size} values of the input "
                       "array it was given.", hint="input_modified")
    return Verdict(True, "The input array is left unchanged in train and test mode.")


@check("dropout_forward.quiet")
def quiet(ctx: CheckContext) -> Verdict:
    """dropout_forward prints nothing (leftover debugging prints flood the output of every caller)."""
    before = ctx.sandbox.output()
    if len(before) >= OUTPUT_SHOWN or "[output truncated" in before:  # already full: new prints could not be seen, and the flood is a leftover
        raise Fail(f"Your code had printed over {OUTPUT_SHOWN // 1024} KiB before this test (see the output "
                   "below the tests), so whether dropout_forward prints could not be checked.",
                   hint="leftover_print")
    case = Case((6, 7), 0.3)
    x = make_input(ctx.rng("quiet"), case)
    for i, mode in enumerate(("train", "test")):
        forward_out(ctx, x, {"mode": mode, "p": student_p(ctx, case.q)}, ctx.student_seed("quiet", i), case.shape)
    printed = ctx.sandbox.output()[len(before):]
    if printed:
        shown = printed[:200] + ("..." if len(printed) > 200 else "")
        raise Fail(f"dropout_forward printed output when called (two calls printed {len(printed)} "
                   f"characters or more, starting with: {shown!r}).", hint="leftover_print")
    return Verdict(True, "dropout_forward prints nothing.")
