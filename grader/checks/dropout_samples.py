"""Shared machinery of the dropout-forward checks: cases, calling the student, naming the mistake.

Every case is described by ``q``, the probability of *dropping* a unit; the
``p`` handed to the student is ``q`` under the exercise's "drop" convention and
``1 - q`` under cs231n's "keep" convention, so the statistics are the same for
both. ``k = 1 - q`` is the keep probability. The inputs have no zeros
(|x| >= 0.5), so ``out == 0`` marks exactly the dropped units.

Diagnoses never guess: a mistake is named only when *every* case agrees with
it under the same bounds the test uses (the wrong convention's Binomial(n, 1 - q)
interval, a randn-threshold interval, a measured constant scale of exactly 1 or 1/q).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.checks.kit import contract
from grader.checks.kit.calls import call_forward
from grader.checks.support.context import CheckContext, Fail, as_array
from grader.checks.support.dropout_stats import FALSE_FAILURE, binomial_interval, randn_drop_fractions
from grader.sandbox.interface import Handle, StudentRaised


@dataclass(frozen=True)
class Case:
    shape: tuple[int, ...]
    q: float
    """Probability of dropping a unit, whatever the convention."""
    dtype: str = "float64"


# Every test but any_shape uses 2-D input (the notebook's shape), so that code which only handles
# 2-D input loses the one test about other shapes, and nothing else.
FRACTION_CASES = (Case((40, 50), 0.3), Case((25, 80), 0.75, "float32"), Case((60, 50), 0.05),
                  Case((30, 60), 0.95), Case((40, 42), 0.6), Case((24, 30), 0.2, "float32"))
VALUE_CASES = (Case((20, 30), 0.95), Case((30, 20), 0.2, "float32"), Case((40, 20), 0.05, "float32"),
               Case((24, 30), 0.3, "float32"), Case((12, 30), 0.75), Case((24, 30), 0.6))
MEAN_CASES = (Case((50, 80), 0.3), Case((40, 100), 0.75), Case((80, 50), 0.05))
SEED_CASES = (Case((20, 30), 0.3), Case((24, 20), 0.6, "float32"))
TEST_MODE_CASES = (Case((25, 20), 0.3), Case((20, 30), 0.75, "float32"), Case((12, 10), 0.05),
                   Case((10, 12), 0.95, "float32"))
INPUT_CASES = ((Case((20, 30), 0.3), "train"), (Case((20, 6), 0.6, "float32"), "train"),
               (Case((20, 30), 0.3), "test"))
# 1-D and 3-D to 5-D: the only cases that are not 2-D. A correct mask drops none or all of n units
# with probability q**n + (1-q)**n, below 1e-70 for each.
SHAPE_CASES = (Case((10, 12, 15), 0.95), Case((5, 6, 7, 8), 0.6, "float32"), Case((2, 3, 4, 5, 6), 0.2),
               Case((3000,), 0.05))
GATE_CASE = Case((40, 50), 0.3)
"""The input on which a dropout_forward must recognisably do dropout before its property tests pay."""

FRACTION_ALPHA = FALSE_FAILURE / 2 / len(FRACTION_CASES)  # per case; the other half: constant axes
MEAN_ALPHA = FALSE_FAILURE / len(MEAN_CASES)
ULPS = 4  # kept values may differ from x / k by rounding: x * (1 / k) vs x / k, float32 casts


@dataclass
class Sample:
    """One train-mode call: what went in and what came out."""

    case: Case
    p: float
    """The p passed to the student."""
    keep: float
    """The probability of keeping a unit, computed from p as the student's code should."""
    x: np.ndarray
    out: np.ndarray

    @property
    def dropped(self) -> int:
        return int(np.count_nonzero(self.out == 0))

    @property
    def n(self) -> int:
        return self.x.size

    def describe(self) -> str:
        return f"p = {self.p:g} on a {shape_text(self.case.shape)} {self.case.dtype} input"


# --- calling the student ------------------------------------------------------------------------

def student_p(ctx: CheckContext, q: float) -> float:
    """The ``p`` to pass for drop probability ``q`` under the assignment's convention."""
    return q if ctx.assignment.dropout_convention == "drop" else round(1.0 - q, 12)


def forward_out(ctx: CheckContext, x: np.ndarray | Handle, param: dict[str, Any], seed: int | None,
                shape: tuple[int, ...]) -> np.ndarray:
    """The student's ``out``, checked for type and shape; 2-D-only code is recognised and named."""
    try:
        result = call_forward(ctx, contract.layer(ctx.assignment, "dropout"), [x, param], seed=seed)
    except StudentRaised as exc:
        if len(shape) != 2 and _works_in_2d(ctx, param):
            where = f" (line {exc.line} of your layers.py)" if exc.line else ""
            raise Fail(f"dropout_forward raised {exc.exc_type}{where} on a {len(shape)}-D input of shape "
                       f"{shape}: {exc.message}. It works on 2-D input, but x can have any number of "
                       "dimensions.", hint="two_d_only") from None
        raise
    return as_array(result.take(0), "The `out` returned by dropout_forward", shape)


def _works_in_2d(ctx: CheckContext, param: dict[str, Any]) -> bool:
    try:
        ctx.sandbox.call("dropout_forward", np.ones((6, 7)), param, seed=ctx.student_seed("2d-probe"))
    except StudentRaised:
        return False
    return True


def make_input(rng: np.random.Generator, case: Case) -> np.ndarray:
    """Values with |x| in [0.5, 2) and random signs: no zeros, so out == 0 means dropped."""
    magnitude = rng.uniform(0.5, 2.0, case.shape)
    return (magnitude * rng.choice([-1.0, 1.0], case.shape)).astype(case.dtype)


def train_samples(ctx: CheckContext, cases: tuple[Case, ...], salt: str, inputs: Any = make_input,
                  inspect: Any = None) -> list[Sample]:
    """One train-mode call per case; ``inspect(sample)`` runs after each call, before the next."""
    rng = ctx.rng(salt)
    samples = []
    for i, case in enumerate(cases):
        x = inputs(rng, case)
        p = student_p(ctx, case.q)
        keep = 1.0 - p if ctx.assignment.dropout_convention == "drop" else p
        out = forward_out(ctx, x, {"mode": "train", "p": p}, ctx.student_seed(salt, i), case.shape)
        samples.append(Sample(case, p, keep, x, out))
        if inspect is not None:
            inspect(samples[-1])
    return samples


# --- naming the mistake -------------------------------------------------------------------------

def _keys(ctx: CheckContext) -> tuple[str, str]:
    """(hint for the other convention, hint for scaling by 1/q) under this assignment's convention."""
    if ctx.assignment.dropout_convention == "drop":
        return "keep_convention", "divide_by_p"
    return "drop_convention", "divide_by_one_minus_p"


def other_convention(ctx: CheckContext) -> str:
    """The hint key of the other convention of p than the assignment's."""
    return _keys(ctx)[0]


def common_scale(out: np.ndarray, x: np.ndarray) -> float | None:
    """The one factor every kept (nonzero) unit of ``out`` is ``x`` times, or None when there is none."""
    kept = out != 0
    if not kept.any():
        return None
    ratios = out[kept].astype(np.float64) / x[kept].astype(np.float64)
    middle = float(np.median(ratios))
    return middle if np.all(np.abs(ratios - middle) <= 1e-5 * abs(middle)) else None


def kept_scale(sample: Sample) -> float | None:
    """The one factor every kept unit was multiplied by, or None when there is no such factor."""
    return common_scale(sample.out, sample.x)


def _all_scales(samples: list[Sample], target: Any) -> bool:
    for s in samples:
        scale = kept_scale(s)
        if scale is None or abs(scale - target(s)) > 1e-5 * target(s):
            return False
    return True


def fraction_hint(ctx: CheckContext, samples: list[Sample]) -> str:
    """The mistake every sample's dropped count agrees with (same bounds as the test), or ''."""
    if all(binomial_interval(s.n, round(1 - s.case.q, 12),
                             FRACTION_ALPHA).accepts(s.dropped) for s in samples):
        return _keys(ctx)[0]
    for variant in randn_drop_fractions(0.5):
        if all(binomial_interval(s.n, randn_drop_fractions(s.p)[variant], FRACTION_ALPHA).accepts(s.dropped)
               for s in samples):
            return "randn_mask"
    return ""


def diagnose(ctx: CheckContext, samples: list[Sample]) -> str:
    """The mistake behind wrong train-mode outputs: the kept units' scale first, then the fraction."""
    other, wrong_scale = _keys(ctx)
    if _all_scales(samples, lambda s: 1.0):
        return "missing_rescale"
    by_fraction = fraction_hint(ctx, samples)
    if _all_scales(samples, lambda s: 1.0 / (1.0 - s.keep)):
        return other if by_fraction == other else wrong_scale
    return by_fraction


def constant_axis(dropped: np.ndarray) -> int | None:
    """An axis along which the drop pattern never changes, unless the pattern is constant everywhere."""
    if dropped.all() or not dropped.any():
        return None
    for axis, length in enumerate(dropped.shape):
        if length > 1 and np.array_equal(dropped,
                                         np.broadcast_to(np.take(dropped, [0], axis=axis), dropped.shape)):
            return axis
    return None


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]}-element"

