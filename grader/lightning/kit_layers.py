"""Any layer of a kit contract (grader/checks/kit/) as a ``torch.autograd.Function``, backed by numpy.

As for ex08's batch norm and dropout (:mod:`grader.lightning.functions`), a network does not know
whose layers it runs: :class:`ReferenceKitLayers` calls the trusted reference in this process,
:class:`StudentKitLayers` the student's functions through the sandbox. Only activations and gradients
cross. A layer whose param dict carries state (batch norm's running averages) keeps one dict per
layer: the reference's here, the student's on the student's side, mutated there by their code; eval
mode hands it a copy with ``mode = "test"``.
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import numpy as np
import torch

from grader.checks.kit.contract import Layer
from grader.checks.kit.judging import floats
from grader.checks.support.context import (
    OUT,
    OUT_AND_CACHE,
    WHOLE,
    Fail,
    as_tuple,
    call,
    expect_pair,
    unkeepdims,
)
from grader.checks.support.matching import norm_error
from grader.lightning.functions import GuardedCalls, to_numpy, to_torch
from grader.sandbox.interface import Handle, Sandbox


class ReferenceKitLayers:
    """The trusted reference's layers, called in the judge's process."""

    def __init__(self, reference: ModuleType, layers: dict[str, Layer]) -> None:
        self.ref, self.layers = reference, layers
        self.params: dict[str, dict[str, Any]] = {}

    def forward(self, name: str, arrays: list[np.ndarray], param: dict[str, Any],
                train: bool) -> tuple[np.ndarray, Any]:
        layer = self.layers[name]
        return getattr(self.ref, layer.forward)(*arrays, _moded(self.params, name, param, train))  # type: ignore[no-any-return]

    def backward(self, name: str, dout: np.ndarray, cache: Any) -> list[np.ndarray]:
        layer = self.layers[name]
        result = getattr(self.ref, layer.backward)(dout, cache)
        return [result] if len(layer.gradients) == 1 else list(result)


def _moded(params: dict[str, dict[str, Any]], name: str, param: dict[str, Any],
           train: bool) -> dict[str, Any]:
    """The layer's own param dict (kept across calls when it has a mode), set to this call's mode."""
    if "mode" not in param:
        return copy.deepcopy(param)
    kept = params.setdefault(name, copy.deepcopy(param))
    kept["mode"] = "train" if train else "test"
    return kept


class StudentKitLayers(GuardedCalls):
    """The student's layers behind the sandbox, with a deadline for the whole run and a comparison with the
    reference on the very inputs training produced (what a failed training check names as its cause)."""

    def __init__(self, sandbox: Sandbox, layers: dict[str, Layer], *, budget: float,
                 reference: ModuleType) -> None:
        super().__init__(budget)
        self.sandbox, self.layers = sandbox, layers
        self.ref = ReferenceKitLayers(reference, layers)
        self.handles: dict[str, Handle] = {}
        self.errors: dict[str, float] = {}
        """Largest deviation from the reference per function (out and every gradient), relative."""

    def forward(self, name: str, arrays: list[np.ndarray], param: dict[str, Any],
                train: bool) -> tuple[np.ndarray, Any]:
        layer = self.layers[name]
        return self._guard(layer.forward, self._forward, layer, name, arrays, param, train)

    def backward(self, name: str, dout: np.ndarray, cache: Any) -> list[np.ndarray]:
        layer = self.layers[name]
        return self._guard(layer.backward, self._backward, layer, name, dout, cache)  # type: ignore[no-any-return]

    def _param(self, name: str, param: dict[str, Any], train: bool) -> Any:
        if "mode" not in param:
            return param
        if name not in self.handles:
            self.handles[name] = self.sandbox.put({**param, "mode": "train"})
        if train:
            return self.handles[name]
        return {**self.sandbox.get(self.handles[name]), "mode": "test"}  # the student's running averages

    def _forward(self, layer: Layer, name: str, arrays: list[np.ndarray], param: dict[str, Any],
                 train: bool) -> tuple[np.ndarray, Any]:
        result = call(self.sandbox, layer.forward, OUT_AND_CACHE if train else OUT, *arrays,
                      self._param(name, param, train))
        expect_pair(result.handle, layer.forward, "(out, cache)")
        out = floats(result.take(0), f"the out of {layer.forward}")
        if not train:
            return out, None
        want, ref_cache = self.ref.forward(name, [a.copy() for a in arrays], param, True)
        self._note(layer.forward, out, want)
        return out, (result.take(1), ref_cache, arrays[0])

    def _backward(self, layer: Layer, name: str, dout: np.ndarray, cache: Any) -> list[np.ndarray]:
        own, ref_cache, x = cache
        value = call(self.sandbox, layer.backward, WHOLE, dout, own).take(0)
        values = [value] if len(layer.gradients) == 1 else list(as_tuple(value, len(layer.gradients),
                                                                         layer.backward))
        wanted = self.ref.backward(name, dout, ref_cache)
        grads = [floats(unkeepdims(v, w.shape), f"the {g} of {layer.backward}")
                 for v, w, g in zip(values, wanted, layer.gradients, strict=True)]
        for got, want in zip(grads, wanted, strict=True):
            if layer.ties_at_zero and got.shape == want.shape == x.shape:
                # After a ReLU, windows of zeros tie: any split of their gradient is right
                # (the ReLU drops it).
                got, want = np.where(x != 0, got, 0.0), np.where(x != 0, want, 0.0)
            self._note(layer.backward, got, want)
        return grads

    def _note(self, function: str, got: np.ndarray, want: np.ndarray) -> None:
        if got.shape != want.shape:
            raise Fail(f"{function} returned an array of shape {got.shape} where {want.shape} was expected.")
        self.errors[function] = max(self.errors.get(function, 0.0), norm_error(got, want))


class KitFunction(torch.autograd.Function):
    """One layer of a contract as a differentiable op: ``apply(layers, name, param, train, *tensors)``."""

    @staticmethod
    def forward(ctx: Any, layers: Any, name: str, param: dict[str, Any], train: bool,
                *tensors: torch.Tensor) -> torch.Tensor:
        out, cache = layers.forward(name, [to_numpy(t) for t in tensors], param, train)
        ctx.layers, ctx.name, ctx.cache = layers, name, cache
        return to_torch(out, tensors[0])

    @staticmethod
    def backward(ctx: Any, dout: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grads = ctx.layers.backward(ctx.name, to_numpy(dout), ctx.cache)
        ctx.cache = None
        return (None, None, None, None, *(to_torch(g, dout) for g in grads))
