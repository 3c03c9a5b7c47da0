"""The kit's checks, registered once for every exercise that describes its layers as data.

``params`` of a test name the layer (``layer = "conv"``), the cases (``cases = [...]``) and, for
``kit.backward``, the gradients it scores (``gradients = ["dw"]``). Every case draws its inputs from
the test's seed; see :mod:`grader.checks.kit` for what each check compares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.kit import contract
from grader.checks.kit.calls import (
    out_of,
    reference_backward,
    reference_forward,
    student_backward,
    student_forward,
)
from grader.checks.kit.contract import Case, Inputs, Layer, Mistake
from grader.checks.kit.judging import Candidate, close, floats, judge
from grader.checks.registry import check
from grader.checks.support.context import CheckContext, Fail, Verdict, fault_clause, unkeepdims
from grader.sandbox.interface import NotData, SandboxError, StudentRaised

FORWARD_TOL = 1e-7
"""Largest deviation of ``out`` from the reference's, relative to its largest entry. Loop-based and
vectorised correct code measure <= 1e-14 in float64; the smallest known mistake deviates by > 1e-2."""
BACKWARD_TOL = 1e-7
"""The same for each gradient (correct code: <= 1e-13)."""
NUMERIC_TOL = 1e-5
"""Relative gap between a directional derivative by central differences and the backward's. Linear
layers measure ~1e-10, max pooling on well-separated values as well, batch norm ~1e-9."""
DIRECTIONS = 2
"""Random directions per differentiated argument and case."""


def _layer_and_cases(ctx: CheckContext) -> tuple[Layer, list[Case]]:
    layer = contract.layer(ctx.assignment, ctx.params["layer"])
    if not layer.cases:  # ex08's layers: checked by ex08's own checks; a kit test here would check nothing
        raise ValueError(f"layer {layer.name!r} of assignment {ctx.assignment.id!r} has no cases "
                         f"([layers.{layer.name}.cases.*]), so the kit's checks cannot run on it")
    names = ctx.params.get("cases") or list(layer.cases)
    return layer, [layer.cases[n] for n in names]


def _charged_in(ctx: CheckContext, check_name: str) -> Any:
    def where(mistake: Mistake) -> str:
        tests = {n for case in mistake.charged_in
                 for n in contract.tests_of_case(ctx.assignment, check_name, case, mistake.function)}
        return ", ".join(f"'{n}'" for n in sorted(tests)) or "another test"
    return where


def _forward_candidates(ctx: CheckContext, layer: Layer, inputs: Inputs) -> list[Candidate]:
    """The forward's known mistakes, each with what its model gives on these inputs (computed on demand)."""
    def value(fn: Callable[..., Any]) -> Callable[[], Any]:
        return lambda: fn(ctx.reference, **inputs.kwargs())
    return [(m, value(contract.model(ctx.assignment, m))) for m in contract.mistakes(ctx.assignment,
                                                                                     layer.forward)]


def _backward_candidates(ctx: CheckContext, layer: Layer, inputs: Inputs, dout: np.ndarray,
                         gradient: str) -> list[Candidate]:
    """The backward's known mistakes, each with the ``gradient`` its model gives (None: it leaves it
    right)."""
    def value(fn: Callable[..., Any]) -> Callable[[], Any]:
        return lambda: fn(ctx.reference, dout.copy(), **inputs.kwargs()).get(gradient)
    return [(m, value(contract.model(ctx.assignment, m))) for m in contract.mistakes(ctx.assignment,
                                                                                     layer.backward)]


# --- forward -------------------------------------------------------------------------------------

@check("kit.forward")
def forward(ctx: CheckContext) -> Verdict:
    """The forward's out equals the reference's on the test's cases (each shows one property alone)."""
    layer, cases = _layer_and_cases(ctx)
    notes = []
    for case in cases:
        inputs = contract.draw(layer, case, ctx.rng(case.name))
        want, _ = reference_forward(ctx, layer, inputs)
        got, _ = student_forward(ctx, layer, inputs)
        where = layer.describe(case, inputs)
        note = judge(out_of(got, layer), want, what=f"the out of {layer.forward}", case=case, where=where,
                     tol=FORWARD_TOL, candidates=_forward_candidates(ctx, layer, inputs),
                     charged_in=_charged_in(ctx, "kit.forward"))
        notes += [note] if note else []
    message = (f"The out of {layer.forward} matches the reference on {'; '.join(c.shows for c in cases)}, "
               "within "
               f"{FORWARD_TOL:.0e} of its largest entry.")
    if notes:
        message = f"Not charged again here: {'; '.join(notes)}."
    return Verdict(True, message, data={"not_charged_again": len(notes)})


# --- backward ------------------------------------------------------------------------------------

def _cache_for(ctx: CheckContext, layer: Layer, inputs: Inputs, want_out: np.ndarray,
               ref_cache: Any) -> tuple[Any, str]:
    """The student's own cache when their forward is right on these inputs; else the reference's, and why."""
    try:
        got, cache = student_forward(ctx, layer, inputs, keep_cache=True)
        out = out_of(got, layer)
    except (Fail, SandboxError) as exc:
        return ctx.sandbox.put(ref_cache), f"your {layer.forward} did not work ({fault_clause(exc)})"
    if close(out, want_out, FORWARD_TOL):
        return cache, ""
    return ctx.sandbox.put(ref_cache), f"your {layer.forward} returns a different out"


@check("kit.backward")
def backward(ctx: CheckContext) -> Verdict:
    """The named gradients equal the reference's, on the cache of the student's own forward when it is
    right."""
    layer, cases = _layer_and_cases(ctx)
    gradients = ctx.params.get("gradients") or list(layer.gradients)
    notes, on_reference_cache = [], []
    for case in cases:
        rng = ctx.rng(case.name)
        inputs = contract.draw(layer, case, rng)
        want_out, ref_cache = reference_forward(ctx, layer, inputs)
        dout = rng.standard_normal(want_out.shape)
        want = reference_backward(ctx, layer, dout, ref_cache)
        cache, why = _cache_for(ctx, layer, inputs, want_out, ref_cache)
        if why:
            on_reference_cache.append(why)
        where = layer.describe(case,
                               inputs) + (f", on the cache {layer.cache} built by the reference because "
                                                f"{why}" if why else "")
        got = student_backward(ctx, layer, dout, cache)
        for name in gradients:
            note = judge(got[name], want[name], what=f"the {name} of {layer.backward}", case=case,
                         where=where, tol=BACKWARD_TOL,
                         candidates=_backward_candidates(ctx, layer, inputs, dout, name),
                         charged_in=_charged_in(ctx, "kit.backward"))
            notes += [note] if note else []
    message = (f"{', '.join(gradients)} of {layer.backward} match the reference on "
               f"{'; '.join(c.shows for c in cases)}, within {BACKWARD_TOL:.0e} of the largest entry.")
    if on_reference_cache:
        message += (f" On {len(on_reference_cache)} of them it was checked on the cache {layer.cache} built "
                    "by the "
                    f"reference, because {on_reference_cache[0]}: that is charged in the {layer.forward} "
                    "tests.")
    if notes:
        message += f" Not charged again here: {'; '.join(notes)}."
    return Verdict(True, message, data={"checked_on_reference_cache": len(on_reference_cache)})


# --- the notebook's gradient check ------------------------------------------------------------------

@check("kit.numeric_gradient")
def numeric_gradient(ctx: CheckContext) -> Verdict:
    """The backward, on the student's own cache, equals central differences of the student's own forward.

    Along random directions: for each differentiated argument a and direction v, sum(dout * (f(a + h v)
    - f(a - h v))) / 2h against sum(gradient * v).
    """
    layer, cases = _layer_and_cases(ctx)
    for case in cases:
        rng = ctx.rng(case.name)
        inputs = contract.draw(layer, case, rng)
        want, _ = reference_forward(ctx, layer, inputs)
        got, cache = student_forward(ctx, layer, inputs, keep_cache=True)
        out = out_of(got, layer)
        try:
            dout = rng.standard_normal(out.shape)
            grads = student_backward(ctx, layer, dout, cache)
            for name, argument in layer.gradients.items():
                _directional(ctx, layer, case, inputs, dout, name, argument, grads[name], rng)
        except (Fail, StudentRaised, NotData) as exc:
            if close(out, want, FORWARD_TOL):
                if isinstance(exc, Fail):  # the backward's own mistake: listed with its other tests' failures
                    raise Fail(exc.message, hint=exc.hint, data={"caused_by": [layer.backward]}) from None
                raise
            # The backward is judged against a forward that is itself wrong: one cause, the forward's.
            raise Fail(f"Your {layer.forward} gives a different out than the reference (charged in the "
                       f"{layer.forward} tests), and {layer.backward} is not the gradient of that out: "
                       f"{fault_clause(exc)}.",
                       data={"caused_by": [layer.forward]}) from None
    return Verdict(True,
                   f"The gradients of {layer.backward} on the cache of your own {layer.forward} match "
                   "central "
                         f"differences of your {layer.forward} ({DIRECTIONS} random directions per argument) "
                         "on "
                         f"{'; '.join(c.shows for c in cases)}, within {NUMERIC_TOL:.0e}.")


def _directional(ctx: CheckContext, layer: Layer, case: Case, inputs: Inputs, dout: np.ndarray, name: str,
                 argument: str, gradient: Any, rng: np.random.Generator) -> None:
    base = inputs.values[argument]
    grad = floats(unkeepdims(gradient, base.shape), f"The {name} returned by {layer.backward}")
    if grad.shape != base.shape:
        raise Fail(f"On {layer.describe(case, inputs)}, the {name} of {layer.backward} has shape "
                   f"{grad.shape}; "
                   f"expected {base.shape}, the shape of {argument}.")
    h = layer.numeric_step
    for _ in range(DIRECTIONS):
        v = rng.standard_normal(base.shape)
        sides = []
        for sign in (1, -1):
            moved = Inputs({**inputs.values, argument: base + sign * h * v})
            out = out_of(student_forward(ctx, layer, moved)[0], layer)
            if out.shape != dout.shape:
                raise Fail(f"{layer.forward} returned out of shape {out.shape}, then {dout.shape}, for the "
                           "same shapes.")
            sides.append(float(np.sum(out * dout)))
        numeric, analytic = (sides[0] - sides[1]) / (2 * h), float(np.sum(grad * v))
        gap = abs(numeric - analytic) / max(abs(numeric), abs(analytic), 1e-8)
        if gap > NUMERIC_TOL:
            raise Fail(f"On {layer.describe(case, inputs)}, the {name} of {layer.backward} disagrees with "
                       "central "
                       f"differences of your own {layer.forward}: along a random direction the derivative is "
                       f"{numeric:.6g} numerically and {analytic:.6g} from your {name} (relative gap "
                       f"{gap:.1e}, "
                       f"allowed {NUMERIC_TOL:.0e}).")
