"""Judge-side batch-norm arithmetic: exact values, the forward's known variants, numerical gradients, test
data.

The batch-norm checks score a student's numbers against the reference
(``ctx.reference``) and *name* a mistake only when the student's numbers match
one of the known variants to within the check's tolerance while missing the
correct value: a hint is a measurement, never a guess. The forward's variants are
below; the backward's are candidates (``batchnorm_candidates.py``), built on
:func:`backward_dx`. Everything here is float64, computed from the very inputs the
student received.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from grader.checks.support.matching import match_distance

# the error measure of every batch-norm check (defined with the one naming rule, which uses it)
from grader.checks.support.matching import norm_error as norm_error

Array = np.ndarray


def batch_stats(x: Array, ddof: int = 0) -> tuple[Array, Array]:
    """Per-feature mean and variance of a batch (biased for ``ddof=0``), in float64."""
    x = np.asarray(x, dtype=np.float64)
    return x.mean(axis=0), x.var(axis=0, ddof=ddof)


# --- forward ---------------------------------------------------------------------------------------

def forward(x: Array, gamma: Array, beta: Array, eps: float, *, ddof: int = 0, use_eps: bool = True,
            affine: bool = True) -> Array:
    """Train-mode output, optionally with a mistake: ``ddof=1``, ``use_eps=False``, ``affine=False``."""
    mean, var = batch_stats(x, ddof)
    x_norm = (np.asarray(x, np.float64) - mean) / np.sqrt(var + (eps if use_eps else 0.0))
    return gamma * x_norm + beta if affine else x_norm


def forward_variants(x: Array, gamma: Array, beta: Array, eps: float) -> list[tuple[str, str, Array]]:
    """(hint key, what the student did, output) for each known train-mode forward mistake."""
    return [
        ("unbiased_variance", "the variance divided by N - 1", forward(x, gamma, beta, eps, ddof=1)),
        ("missing_eps", "sqrt(var) without eps", forward(x, gamma, beta, eps, use_eps=False)),
        ("missing_gamma_beta", "x_norm without gamma and beta", forward(x, gamma, beta, eps, affine=False)),
    ]


def test_outputs(x: Array, gamma: Array, beta: Array, running_mean: Array, running_var: Array,
                 eps: float) -> tuple[Array, Array]:
    """The two accepted test-mode outputs: with ``sqrt(running_var + eps)`` and with ``sqrt(running_var)``."""
    centred = np.asarray(x, np.float64) - running_mean
    return (gamma * centred / np.sqrt(running_var + eps) + beta,
            gamma * centred / np.sqrt(running_var) + beta)


# --- backward --------------------------------------------------------------------------------------

def backward_dx(x: Array, gamma: Array, dout: Array, eps: float, *, mean_path: bool = True,
                var_path: bool = True,
        var_divisor: float | None = None, ddof: int = 0, dvar_eps: str = "both",
                use_gamma: bool = True) -> Array:
    """dx of batch norm, written as the three paths so that each can be left out or changed.

    dx = ivar * (dxn - mean(dxn) - x_norm * sum(dxn * x_norm) / divisor): the first term is the
    direct path, the second the path through the mean, the third the path through the variance.
    ``dvar_eps`` says where the variance term keeps eps: ``"both"`` ((var + eps)**-1.5), ``"none"``
    (var**-1.5), ``"outer"`` ((var + eps)**-1 * var**-0.5: a staged backward that takes
    d sqrt(var) / d var as 0.5 / sqrt(var)).
    """
    n = x.shape[0]
    mean, var = batch_stats(x, ddof)
    xm = np.asarray(x, np.float64) - mean
    ivar = 1.0 / np.sqrt(var + eps)
    dxn = dout * gamma if use_gamma else np.asarray(dout, np.float64)
    dx = dxn * ivar
    if mean_path:
        dx = dx - dxn.mean(axis=0) * ivar
    if var_path:
        scale = {"both": (var + eps) ** -1.5, "none": var**-1.5,
                 "outer": 1 / ((var + eps) * np.sqrt(var))}[dvar_eps]
        dx = dx - xm * (dxn * xm).sum(axis=0) * scale / (var_divisor or n)
    return dx


def matching_variant(actual: Array, variants: list[tuple[str, str, Array]], correct: Array,
                     tol: float) -> tuple[str, str] | None:
    """The first variant that ``actual`` matches by the rule every named mistake follows
    (:func:`grader.checks.support.matching.match_distance`): within ``tol`` and within 1% of the variant's
    own distance from the correct value, a variant within ``tol`` of the correct value never."""
    for key, what, value in variants:
        if match_distance({"out": actual}, {"out": value}, {"out": correct}, tol) is not None:
            return key, what
    return None


# --- numerical gradients ---------------------------------------------------------------------------

Forward = Callable[[Array, Array, Array], Array]


def numeric_gradients(f: Forward, x: Array, gamma: Array, beta: Array, dout: Array, hx: Array,
                      columnwise: bool) -> tuple[Array, Array, Array]:
    """Central differences of ``L = sum(f(x, gamma, beta) * dout)`` with respect to x, gamma and beta.

    With ``columnwise`` one evaluation perturbs one entry in *every* column at
    once: batch norm treats features independently, so column j of the output
    only sees the perturbation in column j, and N + 2 pairs of calls give the
    whole gradient instead of N*D + 2*D. It is only used on a forward already
    seen to match the reference (which is column-independent); any other
    forward gets one perturbation per pair of calls, and the whole of L.
    ``hx`` is the step for x, one per column (D,); gamma and beta take 1e-5.
    """
    n, d = x.shape
    groups = [[(i, j) for j in range(d)] for i in range(n)] if columnwise else [[c] for c in np.ndindex(n, d)]
    dx = np.zeros((n, d))
    for group in groups:
        rows, cols = (np.array(v) for v in zip(*group, strict=True))
        xp, xm = x.copy(), x.copy()
        xp[rows, cols] += hx[cols]
        xm[rows, cols] -= hx[cols]
        dx[rows, cols] = _slopes(f(xp, gamma, beta) - f(xm, gamma, beta), dout, cols, columnwise) \
            / (xp[rows, cols] - xm[rows, cols])  # the step as represented in floating point
    dgamma, dbeta = np.zeros(d), np.zeros(d)
    for cols in [np.arange(d)] if columnwise else [np.array([j]) for j in range(d)]:
        for grad, which in ((dgamma, 0), (dbeta, 1)):
            plus, minus = [gamma.copy(), beta.copy()], [gamma.copy(), beta.copy()]
            plus[which][cols] += 1e-5
            minus[which][cols] -= 1e-5
            grad[cols] = _slopes(f(x, *plus) - f(x, *minus), dout, cols, columnwise) \
                / (plus[which][cols] - minus[which][cols])
    return dx, dgamma, dbeta


def _slopes(delta: Array, dout: Array, cols: Array, columnwise: bool) -> Array:
    """The change of L caused by the perturbation in each of ``cols``."""
    weighted = delta * dout
    return weighted.sum(axis=0)[cols] if columnwise else np.full(len(cols), weighted.sum())


# --- test data -------------------------------------------------------------------------------------

def batch(rng: np.random.Generator, n: int, d: int, scale: float | Array, offset: float | Array,
          dtype: type = np.float64) -> tuple[Array, Array, Array]:
    """``x = scale * randn + offset`` of shape (n, d), and gamma (away from 0) and beta of shape (d,)."""
    x = rng.standard_normal((n, d)) * scale + offset
    gamma = rng.uniform(0.5, 2.0, d) * rng.choice([-1.0, 1.0], d)
    beta = rng.standard_normal(d)
    return x.astype(dtype), gamma.astype(dtype), beta.astype(dtype)
