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

from grader.checks.support.context import (
    OUT,
    OUT_AND_CACHE,
    WHOLE,
    Fail,
    as_array,
    as_tuple,
    call,
    expect_pair,
    unkeepdims,
)
from grader.lightning.observations import EPS, MOMENTUM, DropoutObservation, LayerComparison, bn_param
from grader.sandbox.interface import CallTimedOut, Handle, Sandbox

__all__ = ["EPS", "MOMENTUM", "BatchNormFunction", "DropoutFunction", "ReferenceLayers", "StudentLayers",
           "bn_param"]

class ReferenceLayers:
    """The trusted reference, called in the judge's process."""

    def __init__(self, reference: ModuleType, convention: str) -> None:
        self.ref = reference
        self.convention = convention
        self.bn_param: dict[str, Any] | None = None

    def batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                  train: bool) -> tuple[np.ndarray, Any]:
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


class GuardedCalls:
    """The student's side of one training run: every call into the sandbox counted and bounded by the run's
    budget, and the first failure kept, so the run stops there and the report can say where."""

    def __init__(self, budget: float) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget
        self.calls = 0
        self.error: BaseException | None = None
        self.where = ""
        """The function (and mode) of the latest call, for messages."""

    def _guard(self, where: str, fn: Any, *args: Any) -> Any:
        if self.error is not None:
            raise self.error
        if time.monotonic() > self.deadline:
            self.error = CallTimedOut(self.budget)
            raise self.error
        self.calls, self.where = self.calls + 1, where
        try:
            return fn(*args)
        except BaseException as exc:
            self.error = exc
            raise


class StudentLayers(GuardedCalls):
    """The student's functions behind the sandbox, with a deadline for the whole run.

    The running statistics live in the student's own ``bn_param`` dict on the
    student's side (``self.bn``), mutated there by their ``batchnorm_forward``;
    eval mode hands their function a test-mode dict holding those same arrays.
    """

    def __init__(self, sandbox: Sandbox, *, budget: float, reference: ModuleType | None = None,
                 convention: str = "drop") -> None:
        super().__init__(budget)
        self.sandbox = sandbox
        self.bn: Handle | None = None
        self._features = 0
        self._test_param: Handle | None = None
        self.compare = LayerComparison(reference) if reference is not None else None
        self.dropout_seen = DropoutObservation(convention)
        """What the student's dropout_forward did to the inputs training gave it (judged by the check)."""

    def batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                  train: bool) -> tuple[np.ndarray, Any]:
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

    def _batchnorm(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                   train: bool) -> tuple[np.ndarray, Any]:
        if self.bn is None:
            self._features = x.shape[1]
            self.bn = self.sandbox.put(bn_param(x.shape[1]))
        if train:
            self._test_param = None  # the running statistics move on: rebuild the test dict next time
        result = call(self.sandbox, "batchnorm_forward", OUT_AND_CACHE if train else OUT, x, gamma, beta,
                      self.bn if train else self.test_param())
        expect_pair(result.handle, "batchnorm_forward", "(out, cache)")
        out = _floats(result.take(0), "The out returned by batchnorm_forward", x.shape)
        if train and self.compare is not None:
            self.compare.batchnorm(x, gamma, beta, out)
        return out, result.take(1) if train else None

    def _batchnorm_backward(self, dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        got = as_tuple(call(self.sandbox, "batchnorm_backward", WHOLE, dout, cache).take(0), 3,
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
        result = call(self.sandbox, "dropout_forward", OUT_AND_CACHE if train else OUT, x, param,
                      seed=seed if train else None)
        expect_pair(result.handle, "dropout_forward", "(out, cache)")
        out = _floats(result.take(0), "The out returned by dropout_forward", x.shape)
        self.dropout_seen.record(x, out, p, train)
        if self.compare is not None and train:
            self.compare.last_dropout = (x, out)
        return out, result.take(1) if train else None

    def _dropout_backward(self, dout: np.ndarray, cache: Any) -> np.ndarray:
        dx = _floats(call(self.sandbox, "dropout_backward", WHOLE, dout, cache).take(0),
                     "The dx returned by dropout_backward", dout.shape)
        if self.compare is not None:
            self.compare.dropout_backward(dout, dx)
        return dx


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
