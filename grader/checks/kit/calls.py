"""The kit's calls: the reference in the judge, the student's functions through the sandbox.

Every layer of a contract is called through these, the kit's generic checks and an exercise's own
checks alike (ex08's batch-norm and dropout checks judge what comes back in their own words).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.kit.contract import Inputs, Layer
from grader.checks.kit.judging import floats
from grader.checks.support.context import (
    OUT,
    OUT_AND_CACHE,
    WHOLE,
    Called,
    CheckContext,
    Fail,
    Fetch,
    as_tuple,
    call,
    expect_pair,
)
from grader.sandbox.interface import Handle


def reference_forward(ctx: CheckContext, layer: Layer, inputs: Inputs) -> tuple[np.ndarray, Any]:
    out, cache = getattr(ctx.reference, layer.forward)(*inputs.args(layer))
    return np.asarray(out, dtype=np.float64), cache


def reference_backward(ctx: CheckContext, layer: Layer, dout: np.ndarray, cache: Any) -> dict[str,
                                                                                              np.ndarray]:
    result = getattr(ctx.reference, layer.backward)(dout, cache)
    values = (result,) if len(layer.gradients) == 1 else result
    return {name: np.asarray(v, dtype=np.float64) for name, v in zip(layer.gradients, values, strict=True)}


def call_forward(ctx: CheckContext, layer: Layer, args: list[Any], fetch: Fetch = OUT, *,
                 seed: int | None = None) -> Called:
    """The student's forward called on ``args`` (arrays, handles, the param dict, in the contract's order);
    :class:`Fail` unless it returns a tuple or list. ``seed`` seeds the student's side (dropout)."""
    result = call(ctx.sandbox, layer.forward, fetch, *args, seed=seed)
    expect_pair(result.handle, layer.forward, "(out, cache)")
    return result


def student_forward(ctx: CheckContext, layer: Layer, inputs: Inputs, *,
                    keep_cache: bool = False) -> tuple[Any, Handle | None]:
    """The student's ``out`` (undecided: judged by the caller) and, when asked, a handle to their cache."""
    result = call_forward(ctx, layer, inputs.args(layer), OUT_AND_CACHE if keep_cache else OUT)
    return result.take(0), result.take(1) if keep_cache else None


def student_backward(ctx: CheckContext, layer: Layer, dout: np.ndarray,
                     cache: Handle | Any) -> dict[str, Any]:
    """The student's gradients by name (undecided values: each is judged by the caller).

    :class:`Fail` when the backward returns None, or not one value per gradient of the contract.
    """
    result = call(ctx.sandbox, layer.backward, WHOLE, dout, cache)
    value = result.take(0)
    if len(layer.gradients) == 1:
        if value is None:
            raise Fail(f"{layer.backward} returned None. Did you leave a TODO unfinished (or forget "
                       "`return`)?",
                       hint="returned_none")
        return {next(iter(layer.gradients)): value}
    values = as_tuple(value, len(layer.gradients), layer.backward)
    return dict(zip(layer.gradients, values, strict=True))


def out_of(value: Any, layer: Layer) -> np.ndarray:
    return floats(value, f"The out returned by {layer.forward}")
