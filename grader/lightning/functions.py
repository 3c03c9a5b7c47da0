"""Batch norm and dropout as ``torch.autograd.Function``s backed by numpy layers.

A network does not know whose layers it runs: it holds a *layers* object with
four methods (:class:`ReferenceLayers` calls the trusted reference in this
process; :class:`StudentLayers` calls the student's functions through the
sandbox). Only activations and gradients cross to the student's side, never
labels, losses or accuracies, so a submission cannot fake how well it trains.

The student's side computes in float64 (what the exercise's tests use), so a
correct implementation agrees with the reference to rounding error and the two
networks train along the same path. Whatever goes wrong on the student's side
(an exception, a timeout, a crash, a value that is not data, a :class:`Fail`)
is remembered in :attr:`StudentLayers.error` before it is raised, so the check
can re-raise it unchanged however the training loop wrapped it.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import numpy as np
import torch

from grader.checks.support.context import Fail, as_array, as_tuple, expect_pair, unkeepdims
from grader.sandbox.interface import CallTimedOut, Handle, Sandbox

EPS = 1e-5
MOMENTUM = 0.9


def bn_param(features: int, mode: str = "train") -> dict[str, Any]:
    """A fresh ``bn_param`` with zero running statistics, as the exercise's networks start."""
    return {"mode": mode, "eps": EPS, "momentum": MOMENTUM,
            "running_mean": np.zeros(features), "running_var": np.zeros(features)}


class ReferenceLayers:
    """The trusted reference, called in the judge's process."""

    def __init__(self, reference: ModuleType, convention: str) -> None:
        self.ref = reference
        self.convention = convention
        self.bn_param: dict[str, Any] | None = None

    def batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, train: bool) -> tuple[np.ndarray, Any]:
        if self.bn_param is None:
            self.bn_param = bn_param(x.shape[1])
        self.bn_param["mode"] = "train" if train else "test"
        return self.ref.batchnorm_forward(x, gamma, beta, self.bn_param)

    def batchnorm_backward(self, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.ref.batchnorm_backward(dout, cache)

    def dropout(self, x: np.ndarray, p: float, train: bool, seed: int) -> tuple[np.ndarray, Any]:
        param = {"mode": "train", "p": p, "seed": seed} if train else {"mode": "test", "p": p}
        state = np.random.get_state()  # the reference seeds numpy's global generator; leave it as found
        try:
            return self.ref.dropout_forward(x, param, convention=self.convention)
        finally:
            np.random.set_state(state)

    def dropout_backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        return self.ref.dropout_backward(dout, cache, convention=self.convention)


class StudentLayers:
    """The student's functions behind the sandbox, with a deadline for the whole run.

    The running statistics live in the student's own ``bn_param`` dict on the
    student's side (``self.bn``), mutated there by their ``batchnorm_forward``;
    eval mode hands their function a test-mode dict holding those same arrays.
    """

    def __init__(self, sandbox: Sandbox, *, budget: float, reference: ModuleType | None = None,
                 convention: str = "drop") -> None:
        self.sandbox = sandbox
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.calls = 0
        self.error: BaseException | None = None
        self.where = ""
        """The function (and mode) of the latest call, for messages."""
        self.bn: Handle | None = None
        self._features = 0
        self._test_param: Handle | None = None
        self.compare = LayerComparison(reference) if reference is not None else None
        self.dropout_seen = DropoutObservation(convention)
        """What the student's dropout_forward did to the inputs training gave it (judged by the check)."""

    def batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, train: bool) -> tuple[np.ndarray, Any]:
        return self._guard(_mode("batchnorm_forward", train), self._batchnorm, x, gamma, beta, train)

    def batchnorm_backward(self, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._guard("batchnorm_backward", self._batchnorm_backward, dout, cache)

    def dropout(self, x: np.ndarray, p: float, train: bool, seed: int) -> tuple[np.ndarray, Any]:
        return self._guard(_mode("dropout_forward", train), self._dropout, x, p, train, seed)

    def dropout_backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        return self._guard("dropout_backward", self._dropout_backward, dout, cache)

    def running_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """The running mean and variance as they stand in the student's ``bn_param``."""
        assert self.bn is not None
        D = self._features
        mean = as_array(self.sandbox.get(self.bn, "running_mean"), "bn_param['running_mean']", (D,))
        var = as_array(self.sandbox.get(self.bn, "running_var"), "bn_param['running_var']", (D,))
        return mean, var

    def test_param(self) -> Handle:
        """A test-mode ``bn_param`` on the student's side, holding the student's running statistics."""
        assert self.bn is not None
        if self._test_param is None:
            mean, var = (self.sandbox.item(self.bn, k) for k in ("running_mean", "running_var"))
            self._test_param = self.sandbox.put({"mode": "test", "eps": EPS, "momentum": MOMENTUM,
                                                 "running_mean": mean, "running_var": var})
        return self._test_param

    # --- one call each ---------------------------------------------------------------------------

    def _guard(self, where: str, fn: Any, *args: Any) -> Any:
        if self.error is not None:
            raise self.error
        if time.monotonic() > self.deadline:
            self.error = CallTimedOut(self.budget)
            raise self.error
        self.calls += 1
        self.where = where
        try:
            return fn(*args)
        except BaseException as exc:
            self.error = exc
            raise

    def _batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, train: bool) -> tuple[np.ndarray, Any]:
        if self.bn is None:
            self._features = x.shape[1]
            self.bn = self.sandbox.put(bn_param(x.shape[1]))
        if train:
            self._test_param = None  # the running statistics move on: rebuild the test dict next time
        result = self.sandbox.call("batchnorm_forward", x, gamma, beta, self.bn if train else self.test_param())
        expect_pair(result, "batchnorm_forward", "(out, cache)")
        out = _floats(self.sandbox.get(result, 0), "The out returned by batchnorm_forward", x.shape)
        if train and self.compare is not None:
            self.compare.batchnorm(x, gamma, beta, out)
        return out, self.sandbox.item(result, 1) if train else None

    def _batchnorm_backward(self, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        got = as_tuple(self.sandbox.get(self.sandbox.call("batchnorm_backward", dout, cache)), 3,
                       "batchnorm_backward")
        D = dout.shape[1]
        grads = (_floats(got[0], "The dx returned by batchnorm_backward", dout.shape),
                 _floats(got[1], "The dgamma returned by batchnorm_backward", (D,)),
                 _floats(got[2], "The dbeta returned by batchnorm_backward", (D,)))
        if self.compare is not None:
            self.compare.batchnorm_backward(dout, grads)
        return grads

    def _dropout(self, x: np.ndarray, p: float, train: bool, seed: int) -> tuple[np.ndarray, Any]:
        param = {"mode": "train", "p": p, "seed": seed} if train else {"mode": "test", "p": p}
        result = self.sandbox.call("dropout_forward", x, param, seed=seed if train else None)
        expect_pair(result, "dropout_forward", "(out, cache)")
        out = _floats(self.sandbox.get(result, 0), "The out returned by dropout_forward", x.shape)
        self.dropout_seen.record(x, out, p, train)
        if self.compare is not None and train:
            self.compare.last_dropout = (x, out)
        return out, self.sandbox.item(result, 1) if train else None

    def _dropout_backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        dx = _floats(self.sandbox.get(self.sandbox.call("dropout_backward", dout, cache)),
                     "The dx returned by dropout_backward", dout.shape)
        if self.compare is not None:
            self.compare.dropout_backward(dout, dx)
        return dx


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
                self.eval_error = max(self.eval_error,
                                      _worst(np.abs(out - x) / np.maximum(np.abs(x), 1e-12 * max(scale, 1e-300))))
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


def _mode(function: str, train: bool) -> str:
    return f"{function} in {'train' if train else 'test'} mode"


def _floats(value: Any, what: str, shape: tuple[int, ...]) -> np.ndarray:
    array = as_array(unkeepdims(value, shape), what, shape)
    if array.dtype.kind != "f":
        raise Fail(f"{what} should hold floating-point numbers, but has dtype {array.dtype}.")
    return array


# --- the autograd Functions ----------------------------------------------------------------------

def to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


def to_torch(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).to(device=like.device, dtype=like.dtype)


class BatchNormFunction(torch.autograd.Function):
    """``layers.batchnorm_forward`` / ``batchnorm_backward`` as one differentiable op."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, layers: Any,
                train: bool) -> torch.Tensor:
        out, cache = layers.batchnorm(to_numpy(x), to_numpy(gamma), to_numpy(beta), train)
        ctx.layers, ctx.cache = layers, cache
        return to_torch(out, x)

    @staticmethod
    def backward(ctx: Any, dout: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        dx, dgamma, dbeta = ctx.layers.batchnorm_backward(to_numpy(dout), ctx.cache)
        ctx.cache = None
        return to_torch(dx, dout), to_torch(dgamma, dout), to_torch(dbeta, dout), None, None


class DropoutFunction(torch.autograd.Function):
    """``layers.dropout_forward`` / ``dropout_backward`` as one differentiable op."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, layers: Any, p: float, train: bool, seed: int) -> torch.Tensor:
        out, cache = layers.dropout(to_numpy(x), p, train, seed)
        ctx.layers, ctx.cache = layers, cache
        return to_torch(out, x)

    @staticmethod
    def backward(ctx: Any, dout: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        dx = ctx.layers.dropout_backward(to_numpy(dout), ctx.cache)
        ctx.cache = None
        return to_torch(dx, dout), None, None, None, None
