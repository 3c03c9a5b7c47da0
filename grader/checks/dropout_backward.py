"""Checks of ``dropout_backward(dout, cache) -> dx``.

The backward pass is judged against the student's *own* forward pass: on the
cache their ``dropout_forward`` returned, ``dx`` must be the gradient of that
forward's output. So a forward that uses the wrong convention or forgets the
scaling costs points in ``dropout_forward`` only, and a backward that agrees
with it keeps its points. When the student's forward cannot produce a cache
(it raises, returns None), the backward is tried on the template's cache
``(dropout_param, mask)`` instead, with the 0/1 mask and with the pre-scaled
mask (both layouts are common and correct), and credited if either works.

These checks are deterministic: every call passes a seed, so no statistical
error is possible.

The functions and the template's cache layout are the ``dropout`` layer of ex08's contract
(reference/ex08/assignment.toml); the student's forward is called through the kit's
:func:`~grader.checks.kit.calls.call_forward`. The elementwise gradient check, the mask test and the
fallback onto the template's cache are ex08's own (docs/authoring.md says why).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.dropout_samples import common_scale
from grader.checks.kit import contract
from grader.checks.kit.calls import call_forward
from grader.checks.kit.contract import Layer
from grader.checks.registry import check
from grader.checks.support import candidates
from grader.checks.support import dropout_candidates as dc
from grader.checks.support.context import (
    OUT_AND_CACHE,
    WHOLE,
    CheckContext,
    Fail,
    Verdict,
    as_array,
    call,
    rel_error,
)
from grader.sandbox.interface import Handle, SandboxError

GRAD_TOL = 1e-7  # correct code gives ~1e-11 in float64 (the notebook prints ~2e-11)
H = 1e-5  # central-difference step
# a wrong dx is named when it is a known mistake's dx to this (norm_error); float64 gives ~1e-16
MATCH_TOL = 1e-6


def _layer(ctx: CheckContext) -> Layer:
    """ex08's ``dropout`` layer (reference/ex08/assignment.toml): its functions and the template's cache
    layout, ``(dropout_param, mask)``."""
    return contract.layer(ctx.assignment, "dropout")


def _forward(ctx: CheckContext, x: np.ndarray, param: dict[str, Any]) -> tuple[np.ndarray, Handle]:
    """Run the student's forward (through the kit, seeded); returns (out, handle to the cache)."""
    layer = _layer(ctx)
    result = call_forward(ctx, layer, [x, param], OUT_AND_CACHE, seed=ctx.student_seed("forward"))
    out = as_array(result.take(0), f"The `out` returned by {layer.forward}", x.shape)
    return out, result.take(1)


def _backward(ctx: CheckContext, dout: np.ndarray, cache: Any, shape: tuple[int, ...]) -> np.ndarray:
    # Not the kit's student_backward: a dx of None reads "The dx returned by dropout_backward is None"
    # here, as ex08's reports have always said.
    backward = _layer(ctx).backward
    dx = call(ctx.sandbox, backward, WHOLE, dout, cache).take(0)
    return as_array(dx, f"The dx returned by {backward}", shape)


CASES = [((10, 10), 0.8), ((10, 10), 0.3), ((3, 4, 5), 0.5), ((2, 3, 2, 4), 0.25)]  # (shape, p), 2-D to 4-D


def _numeric_gradient(ctx: CheckContext, x: np.ndarray, param: dict[str, Any], dout: np.ndarray,
                      out: np.ndarray) -> np.ndarray:
    """Central differences of sum(forward(x) * dout), the forward run with the fixed seed in ``param``.

    Dropout with a fixed mask is elementwise (out_i depends on x_i only), so one pair of calls with
    every element moved by +-H gives every partial derivative at once, where one pair per element
    would cost hundreds of calls (and a slow but correct forward its time budget). The derivatives
    must also agree with the multiplier out / x of the unperturbed call: a forward that is not the
    same function at nearby points (a mask that changes, an output replayed from an earlier call)
    is caught here instead of yielding a meaningless target.
    """
    plus, _ = _forward(ctx, x + H, param)
    minus, _ = _forward(ctx, x - H, param)
    slope = (plus - minus) / (2 * H)
    if not np.allclose(slope, out / x, rtol=1e-5, atol=1e-6):
        raise Fail("your dropout_forward is not the same function from one call to the next with the same "
                   "seed (its output at x +- 1e-5 does not match its output at x)")
    return slope * dout


@check("dropout_backward.numeric_gradient")
def numeric_gradient(ctx: CheckContext) -> Verdict:
    """dx matches central-difference gradients of the student's own forward (fixed seed)."""
    rng = ctx.rng("data")
    for shape, p in [((10, 10), 0.8), ((3, 2, 4), 0.3)]:  # the notebook's case, and a 3-D one
        x = rng.standard_normal(shape) + 10.0
        dout = rng.standard_normal(shape)
        param = {"mode": "train", "p": p, "seed": int(ctx.student_seed("mask", str(shape), p) % 10_000)}
        try:  # a forward that is no fair yardstick sends the backward to the template's cache
            out, cache = _forward(ctx, x, param)
            _require_dropout(out, x)
            expected = _numeric_gradient(ctx, x, param, dout, out)
        except (Fail, SandboxError) as exc:
            return _template_fallback(ctx, exc)
        dx = _backward(ctx, dout, cache, shape)
        err = rel_error(dx, expected)
        if not err < GRAD_TOL:
            raise _named(f"Numerical gradient check on a {shape} input with p = {p}: the relative error "
                         f"of dx is {err:.2e}, expected below {GRAD_TOL:.0e}. dx must be dout times the "
                         "same mask and scale your forward pass applied.", _match(dx, dout, out / x))
    return Verdict(True, "dx matches the numerical gradient of your dropout_forward (relative error "
                         f"below {GRAD_TOL:.0e}).")


@check("dropout_backward.matches_mask")
def matches_mask(ctx: CheckContext) -> Verdict:
    """dx equals dout times the forward's effective multiplier (out / x), on 2-D to 4-D inputs."""
    rng = ctx.rng("data")
    for shape, p in CASES:
        x = rng.uniform(1.0, 2.0, shape)  # no zeros, so out / x is the mask times its scale
        dout = rng.standard_normal(shape)
        param = {"mode": "train", "p": p, "seed": int(ctx.student_seed("mask", str(shape), p) % 10_000)}
        try:
            out, cache = _forward(ctx, x, param)
            _require_dropout(out, x)
        except (Fail, SandboxError) as exc:
            return _template_fallback(ctx, exc)
        dx = _backward(ctx, dout, cache, shape)
        expected = dout * (out / x)
        if not np.allclose(dx, expected, rtol=1e-6, atol=1e-9):
            raise _named(f"On a {shape} input with p = {p}, dx differs from {_scaled(ctx)} computed "
                         "from your own forward pass (largest difference "
                         f"{np.max(np.abs(dx - expected)):.3g}). "
                         "Use the mask stored in the cache, with the same scaling as in dropout_forward.",
                         _match(dx, dout, out / x))
    return Verdict(True,
                   "dx equals dout times the mask and scale of your forward pass, on 2-D to 4-D inputs.")


def _require_dropout(out: np.ndarray, x: np.ndarray) -> None:
    """Fail unless ``out`` is *a* dropout of ``x``: some units zeroed, the others scaled by one common factor.

    Only then is the student's own forward a fair yardstick for the backward
    (a wrong convention or scale still qualifies, and costs points in
    dropout_forward only). An identity, an all-zero or an unrelated forward
    does not: the backward is then judged on the template's cache instead, so
    a backward that merely agrees with a forward that does nothing earns nothing.
    """
    kept = out != 0
    if not kept.any() or kept.all():
        raise Fail("your dropout_forward " + ("dropped every unit" if not kept.any() else "dropped no unit"))
    scale = common_scale(out, x)
    if scale is None or scale <= 0:
        raise Fail("your dropout_forward does not scale the kept units by one common factor")


def _match(dx: np.ndarray, dout: np.ndarray, multiplier: np.ndarray) -> candidates.Match | None:
    """The known mistake dx is exactly (dropout_candidates.py), against the forward whose effective
    multiplier (mask times scale) is ``multiplier``; None when none."""
    v = dc.inputs(dout, multiplier)
    return candidates.diagnose("dropout_backward", v, {"dx": dx}, dc.correct(v), MATCH_TOL)


def _named(message: str, match: candidates.Match | None) -> Fail:
    """A Fail with ``message``, and the mistake named when ``match`` found one."""
    if match is None:
        return Fail(message)
    return Fail(f"{message} Your dx is exactly what a backward gives that {match.candidate.what}.",
                hint=match.candidate.hint)


@check("dropout_backward.test_mode")
def test_mode(ctx: CheckContext) -> Verdict:
    """In test mode dx is dout, unchanged."""
    dout = ctx.rng("data").standard_normal((6, 7))
    cache = ({"mode": "test", "p": 0.4}, None)
    dx = _backward(ctx, dout, cache, dout.shape)
    if not np.array_equal(dx, dout):
        raise Fail("In test mode dropout_backward must return dout unchanged, but dx differs from dout "
                   f"(largest difference {np.max(np.abs(dx - dout)):.3g}).")
    return Verdict(True, "Test mode returns dout unchanged.")


def _template_fallback(ctx: CheckContext, why: Exception) -> Verdict:
    """Judge the backward on the template's cache layout when the student's forward gives none."""
    layer = _layer(ctx)
    rng = ctx.rng("fallback")
    shape, p = (10, 10), 0.4
    keep = 1.0 - p if ctx.assignment.dropout_convention == "drop" else p
    mask = rng.random(shape) < keep
    dout = rng.standard_normal(shape)
    expected = dout * mask / keep
    param = {"mode": "train", "p": p}
    matches = []
    for stored in (mask.astype(np.float64), mask / keep):
        try:
            dx = ctx.sandbox.get(ctx.sandbox.call(layer.backward, dout, (param, stored)))
        except SandboxError:
            continue
        if type(dx) is np.ndarray and dx.shape == shape and np.allclose(dx, expected, rtol=1e-6, atol=1e-9):
            return Verdict(True, f"Your {layer.forward} gave no usable cache, so {layer.backward} was "
                                 f"checked on the template's cache {layer.cache}: it is correct there.")
        if type(dx) is np.ndarray and dx.shape == shape and dx.dtype.kind == "f":
            matches.append(_match(dx, dout, mask / keep))
    reason = why.message if isinstance(why, Fail) else str(why)
    # named only when both layouts of the mask give the same mistake (a backward made for the other layout
    # is correct on it, and was credited above)
    hints = {m.candidate.hint if m else "" for m in matches}
    same = len(matches) == 2 and len(hints) == 1 and "" not in hints
    raise _named(f"{layer.backward} could not be checked on your own forward pass (" + reason.rstrip(".") +
                 f"), and on the template's cache {layer.cache} it does not return {_scaled(ctx)}.",
                 matches[0] if same else None)


def _scaled(ctx: CheckContext) -> str:
    """The correct train-mode dx, in words, under the assignment's dropout convention."""
    return "dout * mask / (1 - p)" if ctx.assignment.dropout_convention == "drop" else "dout * mask / p"
