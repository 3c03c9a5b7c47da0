"""The statistics behind the dropout-forward tests: acceptance intervals, their error bounds, their power.

A correct dropout implementation is random, so a test of it can fail by bad
luck. Every statistical test here is built so that this happens with
probability at most :data:`FALSE_FAILURE` (1e-9) per test, and the bound is
*computed* for the actual sample sizes and probabilities, not asserted:

* **Fraction dropped.** For a correct implementation the number ``D`` of units
  dropped out of ``n`` is exactly Binomial(n, q), q the drop probability. The
  acceptance interval ``[lo, hi]`` is cut from the exact binomial tails (scipy),
  each tail at most ``alpha / 2``; :attr:`Interval.false_failure` is the exact
  probability outside it.
* **Mean preserved.** ``sum(out) - sum(x) = sum_i x_i (B_i / k - 1)`` with
  ``B_i ~ Bernoulli(k)`` independent, k the keep probability: a sum of
  independent, zero-mean, bounded terms. Bernstein's inequality
  ``P(|S| >= t) <= 2 exp(-t^2 / (2 (sigma^2 + M t / 3)))`` (sigma^2 the variance
  of S, M the largest |term|) is solved for the t that makes the right side
  ``alpha``: a rigorous bound with no normal approximation.
* **Units dropped independently.** A correct mask is constant along an axis of
  length L only if each of its n / L fibres is all-kept or all-dropped:
  probability ``(q^L + (1 - q)^L)^(n / L)``.

A test that checks several cases shares its ``alpha`` among them (union bound).
The power functions give, for a wrong implementation, the probability that it
*passes* anyway; docs/statistics.md tabulates both for the cases the checks use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

FALSE_FAILURE = 1e-9
"""Largest probability that one test fails a correct implementation."""


@dataclass(frozen=True)
class Interval:
    """The accepted range of the number of dropped units among ``n``, drop probability ``q``."""

    n: int
    """Units in the sample."""
    q: float
    """Probability of dropping one unit under the hypothesis."""
    lo: int
    """Smallest accepted count."""
    hi: int
    """Largest accepted count."""

    def accepts(self, dropped: int) -> bool:
        return self.lo <= dropped <= self.hi

    @property
    def false_failure(self) -> float:
        """Exact probability that a Binomial(n, q) count falls outside [lo, hi]."""
        return float(stats.binom.cdf(self.lo - 1, self.n, self.q) + stats.binom.sf(self.hi, self.n, self.q))

    def pass_probability(self, q_other: float) -> float:
        """Exact probability that a Binomial(n, q_other) count lands inside [lo, hi]."""
        inside = stats.binom.cdf(self.hi, self.n, q_other) - stats.binom.cdf(self.lo - 1, self.n, q_other)
        return float(inside)


@cache
def binomial_interval(n: int, q: float, alpha: float) -> Interval:
    """The central interval of Binomial(n, q) with at most ``alpha / 2`` in each tail."""
    lo = int(stats.binom.ppf(alpha / 2, n, q))
    while lo > 0 and stats.binom.cdf(lo - 1, n, q) > alpha / 2:  # ppf may round: make the tail exact
        lo -= 1
    while stats.binom.cdf(lo, n, q) <= alpha / 2:
        lo += 1
    hi = int(stats.binom.isf(alpha / 2, n, q))
    while hi < n and stats.binom.sf(hi, n, q) > alpha / 2:
        hi += 1
    while hi > 0 and stats.binom.sf(hi - 1, n, q) <= alpha / 2:
        hi -= 1
    return Interval(n=n, q=q, lo=lo, hi=hi)


def bernstein_halfwidth(variance: float, bound: float, alpha: float) -> float:
    """The t with ``2 exp(-t^2 / (2 (variance + bound t / 3))) = alpha`` (two-sided Bernstein)."""
    log_term = math.log(2 / alpha)
    a = log_term * bound / 3
    return a + math.sqrt(a * a + 2 * log_term * variance)


def bernstein_tail(deviation: float, variance: float, bound: float) -> float:
    """One-sided Bernstein bound on ``P(S - E S >= deviation)``; 1 when ``deviation <= 0``."""
    if deviation <= 0:
        return 1.0
    return min(1.0, math.exp(-deviation**2 / (2 * (variance + bound * deviation / 3))))


def mean_tolerance(x: np.ndarray, keep: float, alpha: float) -> float:
    """Accepted ``|sum(out) - sum(x)|`` for inverted dropout with keep probability ``keep`` on ``x``."""
    ax = np.abs(x.astype(np.float64)).ravel()
    variance = float(np.sum(ax**2)) * (1 - keep) / keep
    bound = float(ax.max()) * max(1 / keep - 1, 1.0)
    return bernstein_halfwidth(variance, bound, alpha)


def mean_pass_bound(x: np.ndarray, keep: float, scale: float, tolerance: float) -> float:
    """Upper bound on the probability that dropout with keep probability ``keep`` and kept-unit
    scale ``scale`` gives ``|sum(out) - sum(x)| <= tolerance`` (Bernstein, one-sided)."""
    ax = np.abs(x.astype(np.float64)).ravel()
    total = float(np.sum(x, dtype=np.float64))
    bias = abs(scale * keep * total - total)
    variance = scale**2 * keep * (1 - keep) * float(np.sum(ax**2))
    bound = scale * float(ax.max()) * max(keep, 1 - keep)
    return bernstein_tail(bias - tolerance, variance, bound)


def constant_axis_probability(shape: tuple[int, ...], q: float) -> float:
    """Union bound on the probability that a correct mask of ``shape`` is constant along some axis."""
    n = math.prod(shape)
    total = 0.0
    for length in shape:
        if length > 1:
            total += (q**length + (1 - q) ** length) ** (n // length)
    return total


def randn_drop_fractions(p: float) -> dict[str, float]:
    """Fractions dropped by masks drawn with ``np.random.randn`` instead of ``rand``, by the comparison
    made."""
    phi = stats.norm.cdf
    return {
        "randn > p": float(phi(p)),            # kept when randn > p
        "randn < p": float(1 - phi(p)),        # kept when randn < p
        "randn < 1 - p": float(1 - phi(1 - p)),
        "randn > 1 - p": float(phi(1 - p)),
    }
