"""The kit's gates, one per forward of every exercise's contract (``<forward>.computes``), and its hints.

A gate decides whether a function does recognisably its job, so that a property test pays only for
real work (grader/runner.py: ``requires``). The kit's: on the layer's first case, the forward's
``out`` is the reference's, or what one of its known mistakes gives by the rule that names it
(:func:`grader.checks.kit.judging.is_mistake`), so that the gate opens on exactly the mistakes the
forward's tests name. Registered from the data of every assignment under reference/ when the checks
load.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.assignments import known_assignments, load
from grader.checks.kit import contract
from grader.checks.kit.calls import out_of, reference_forward, student_forward
from grader.checks.kit.checks import FORWARD_TOL
from grader.checks.kit.judging import close, is_mistake
from grader.checks.registry import GATES, gate
from grader.checks.support.context import CheckContext, Fail, fault_clause
from grader.feedback import add_hints
from grader.sandbox.interface import StudentRaised


def _computes(forward: str) -> Callable[[CheckContext], str | None]:
    def computes(ctx: CheckContext) -> str | None:
        layer = next(layer for layer in contract.layers(ctx.assignment) if layer.forward == forward)
        case = next(iter(layer.cases.values()))
        inputs = contract.draw(layer, case, ctx.rng("gate", forward))
        want, _ = reference_forward(ctx, layer, inputs)
        try:
            got = out_of(student_forward(ctx, layer, inputs)[0], layer)
        except (Fail, StudentRaised) as exc:
            return f"called on {layer.describe(case, inputs)}, {fault_clause(exc)}"
        if close(got, want, FORWARD_TOL):
            return None
        for m in contract.mistakes(ctx.assignment, forward):
            modelled = contract.model(ctx.assignment, m)(ctx.reference, **inputs.kwargs())
            if is_mistake(got, modelled, want, FORWARD_TOL):
                return None
        return f"on {layer.describe(case, inputs)} its out is neither the reference's nor a known mistake's"

    computes.__doc__ = (f"on its first case, {forward} gives the reference's out, or what a known mistake "
                        "gives")
    return computes


def register() -> None:
    """Register ``<forward>.computes`` for every layer with cases of every assignment (once per forward
    name), and the hints of every assignment's known mistakes."""
    for assignment_id in known_assignments():
        assignment = load(assignment_id)
        add_hints({m.hint: " ".join(m.text.split()) for m in contract.mistakes(assignment)})
        for layer in contract.layers(assignment):
            name = f"{layer.forward}.computes"
            if layer.cases and name not in GATES.names():  # a gate calls on a case: none without
                gate(name)(_computes(layer.forward))


register()
