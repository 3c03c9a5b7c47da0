"""The batches the batch-norm backward checks differentiate at, and what a backward returned or missed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from grader.checks.support import batchnorm_math as bm
from grader.checks.support.context import CheckContext


class Grads(NamedTuple):
    dx: np.ndarray
    dgamma: np.ndarray
    dbeta: np.ndarray


@dataclass(frozen=True)
class Case:
    """One batch to differentiate at."""

    x: np.ndarray
    gamma: np.ndarray
    beta: np.ndarray
    dout: np.ndarray
    eps: float | None
    label: str

    @property
    def bn_param(self) -> dict[str, Any]:
        return {"mode": "train"} if self.eps is None else {"mode": "train", "eps": self.eps}

    @property
    def eps_value(self) -> float:
        return 1e-5 if self.eps is None else self.eps


@dataclass
class Miss:
    """How a backward failed on one cache: an exception, or gradients that differ from the target."""

    where: str
    error: Exception | None = None
    got: Grads | None = None
    target: Grads | None = None


def backward_cases(ctx: CheckContext, table: tuple[tuple[Any, ...], ...]) -> list[Case]:
    rng = ctx.rng("data")
    cases = []
    for n, d, scale, offset, eps in table:
        x, gamma, beta = bm.batch(rng, n, d, scale, offset)
        eps_text = "default eps" if eps is None else f"eps = {eps:g}"
        cases.append(Case(x, gamma, beta, rng.standard_normal((n, d)), eps,
                          f"a {n}x{d} batch x = {scale:g}*randn {'-' if offset < 0 else '+'} {abs(offset):g} "
                          f"({eps_text})"))
    return cases
