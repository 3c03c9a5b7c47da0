"""What the student's layers did while the networks trained, measured judge-side on arrays already at hand.

:class:`DropoutObservation` tallies what dropout_forward returned (the training check's dropout
probe judges it); :class:`LayerComparison` records how far each layer was from the reference on
the very inputs training produced (what a failed training check names as its cause).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

EPS = 1e-5
MOMENTUM = 0.9


def bn_param(features: int, mode: str = "train") -> dict[str, Any]:
    """A fresh ``bn_param`` with zero running statistics, as the exercise's networks start."""
    return {"mode": mode, "eps": EPS, "momentum": MOMENTUM,
            "running_mean": np.zeros(features), "running_var": np.zeros(features)}


class DropoutObservation:
    """Running tallies of what the student's dropout_forward did, judge-side, on arrays already at hand.

    Train mode: among the units whose input was nonzero (after the ReLU about
    half are 0, and there a dropped and a kept unit look alike), how many came
    out as 0 (dropped), and how far the others were from ``x / keep``. Eval
    mode: how far the output was from the input. A few vectorised numpy
    operations per call on a (50, 200) batch: negligible next to the sandbox
    round trip.
    """

    def __init__(self, convention: str) -> None:
        self.convention = convention
        self.drop = float("nan")
        """The drop probability the student was asked for (from p and the convention)."""
        self.live = 0
        """Train mode: units with a nonzero input."""
        self.zeroed = 0
        """Train mode: of those, units that came out as exactly 0."""
        self.kept_error = 0.0
        """Train mode: largest |out - x / keep| / |x / keep| over the units not zeroed (inf for NaN)."""
        self.kept_ratio = (float("inf"), float("-inf"))
        """Train mode: smallest and largest out / x over the units not zeroed."""
        self.eval_units = 0
        self.eval_error = 0.0
        """Eval mode: largest |out - x| / |x| (0 inputs: relative to the batch's largest |x|)."""
        self.eval_zeroed = 0
        """Eval mode: units with a nonzero input that came out as 0."""

    def record(self, x: np.ndarray, out: np.ndarray, p: float, train: bool) -> None:
        with np.errstate(all="ignore"):
            if train:
                self.drop = p if self.convention == "drop" else 1.0 - p
                keep = 1.0 - self.drop
                live = x != 0
                xl, ol = x[live], out[live]
                kept = ol != 0
                self.live += int(xl.size)
                self.zeroed += int(xl.size - np.count_nonzero(kept))
                if kept.any():
                    xk, ok = xl[kept], ol[kept]
                    expected = xk / keep
                    self.kept_error = max(self.kept_error, _worst(np.abs(ok - expected) / np.abs(expected)))
                    ratio = ok / xk
                    if np.all(np.isfinite(ratio)):
                        self.kept_ratio = (min(self.kept_ratio[0], float(ratio.min())),
                                           max(self.kept_ratio[1], float(ratio.max())))
            else:
                scale = float(np.max(np.abs(x), initial=0.0))
                self.eval_units += int(x.size)
                relative = np.abs(out - x) / np.maximum(np.abs(x), 1e-12 * max(scale, 1e-300))
                self.eval_error = max(self.eval_error, _worst(relative))
                self.eval_zeroed += int(np.count_nonzero((out == 0) & (x != 0)))


def _worst(errors: np.ndarray) -> float:
    """The largest entry, inf when any is NaN or inf, 0 when empty."""
    if errors.size == 0:
        return 0.0
    worst = float(np.max(errors))
    return worst if np.isfinite(worst) else float("inf")


class LayerComparison:
    """How far the student's layers were from the reference on the very inputs training gave them.

    Not a pass criterion: it lets a failed training check say which layer was
    wrong (and so which layer-level test explains it).
    """

    def __init__(self, reference: ModuleType) -> None:
        self.ref = reference
        self.errors: dict[str, float] = {}
        self._cache: Any = None
        self.last_dropout: tuple[np.ndarray, np.ndarray] | None = None

    def batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, out: np.ndarray) -> None:
        expected, self._cache = self.ref.batchnorm_forward(x, gamma, beta, bn_param(x.shape[1]))
        self._note("batchnorm_forward out", out, expected)

    def batchnorm_backward(self, dout: np.ndarray, grads: tuple[np.ndarray, ...]) -> None:
        if self._cache is None:
            return
        for name, got, expected in zip(("dx", "dgamma", "dbeta"), grads,
                                       self.ref.batchnorm_backward(dout, self._cache), strict=True):
            self._note(f"batchnorm_backward {name}", got, expected)

    def dropout_backward(self, dout: np.ndarray, dx: np.ndarray) -> None:
        if self.last_dropout is None:
            return
        x, out = self.last_dropout
        live = x != 0  # after the ReLU many inputs are 0; there out / x says nothing about the mask
        self._note("dropout_backward dx", dx[live], dout[live] * out[live] / x[live])

    def _note(self, what: str, got: np.ndarray, expected: np.ndarray) -> None:
        scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-12)
        err = float(np.max(np.abs(got - expected), initial=0.0)) / scale
        self.errors[what] = max(self.errors.get(what, 0.0), err)
