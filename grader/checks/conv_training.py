"""The training check of the convolutional exercise: a small CNN on the student's conv, pooling and batch norm.

The network (grader/lightning/conv_network.py) trains on the 8x8 digits with the student's
``conv_forward_naive``/``conv_backward_naive``, ``max_pool_*_naive`` and, with ``params.batchnorm``,
``spatial_batchnorm_*``, through the sandbox, and once with the reference's (cached per process),
from the same seed and batches. Correct layers follow the reference's path to rounding error (the
loop-based and the vectorised correct fixtures give the reference's curves to the 6 digits recorded),
so the tolerances are ex08's: the smallest layer mistake moves the curves by far more.
"""

from __future__ import annotations

import importlib
from typing import Any

from grader.assignments import Assignment
from grader.checks.kit import contract
from grader.checks.registry import check
from grader.checks.support.context import CheckContext, Fail, Verdict
from grader.checks.training import ACCURACY_MARGIN, BUDGET_SHARE, LAYER_TOL, TRAIN_LOSS_RTOL, VAL_LOSS_RTOL

_REFERENCE: dict[tuple[Any, ...], dict[str, list[float]]] = {}


def warm_up(assignment: Assignment, options: dict[str, Any]) -> None:
    """Train and cache the reference networks (both variants) before the first submission."""
    for batchnorm in (False, True):
        _reference_curves(assignment, options, batchnorm)


def _reference_curves(assignment: Assignment, options: dict[str, Any], batchnorm: bool) -> dict[str, list[float]]:
    from grader.lightning import conv_network, data, runs
    from grader.lightning.kit_layers import ReferenceKitLayers

    runs.setup_torch()
    key = (assignment.reference_module, runs.accelerator(options), batchnorm)
    if key not in _REFERENCE:
        reference = importlib.import_module(assignment.reference_module)
        layers = ReferenceKitLayers(reference, _layers(assignment))
        _REFERENCE[key] = conv_network.train(layers, data.load(None), batchnorm=batchnorm,
                                             accelerator=runs.accelerator(options))[1]
    return _REFERENCE[key]


def _layers(assignment: Assignment) -> dict[str, Any]:
    return {layer.name: layer for layer in contract.layers(assignment)}


@check("training.conv_network")
def conv_network(ctx: CheckContext) -> Verdict:
    """A small CNN (conv - [spatial batch norm] - ReLU - max pool - affine) on your layers trains like the reference's."""
    from grader.lightning import conv_network as network
    from grader.lightning import data, runs
    from grader.lightning.kit_layers import StudentKitLayers

    batchnorm = bool(ctx.params.get("batchnorm", False))
    reference = _reference_curves(ctx.assignment, ctx.options, batchnorm)
    layers = StudentKitLayers(ctx.sandbox, _layers(ctx.assignment), reference=ctx.reference,
                              budget=BUDGET_SHARE * ctx.assignment.submission_timeout)
    title = "convolutional network" + (" with spatial batch norm" if batchnorm else "")
    try:
        _, curves = network.train(layers, data.load(None), batchnorm=batchnorm, accelerator=runs.accelerator(ctx.options))
    except BaseException as exc:
        error = layers.error or exc
        if isinstance(error, Fail):
            raise Fail(f"While training the {title} (in {layers.where}): {error.message}", hint=error.hint) from None
        raise error from None
    found = {"curves": {"reference": reference, "yours": curves}, "calls": layers.calls,
             "layer_errors": {k: float(f"{v:.3g}") for k, v in layers.errors.items()}}
    problems = _problems(curves, reference)
    if problems:
        wrong = sorted(k for k, v in layers.errors.items() if v > LAYER_TOL)
        found["caused_by"] = sorted({_area(ctx, k) for k in wrong})
        cause = (f" Compared with the reference on the very inputs training produced, {', '.join(wrong)} "
                 "gave different numbers: their tests show what is wrong; fix those first.") if wrong else ""
        raise Fail(f"Your {title} was trained on your layers and compared with the same network on the reference's "
                   f"(same seed, same batches): {'; and '.join(problems)}.{cause}", data=found)
    return Verdict(True, f"Your {title} trained like the reference for {network.EPOCHS} epochs on {network.TRAIN_IMAGES} "
                         f"digits (final validation accuracy {_pct(curves['val_acc'][-1])}, reference "
                         f"{_pct(reference['val_acc'][-1])}).", data=found)


def _area(ctx: CheckContext, function: str) -> str:
    return function if any(t.tag == function for t in ctx.assignment.tests) else "training"


def _problems(curves: dict[str, list[float]], ref: dict[str, list[float]]) -> list[str]:
    problems = []
    for key, rtol, what in (("train_loss", TRAIN_LOSS_RTOL, "training loss"), ("val_loss", VAL_LOSS_RTOL, "validation loss")):
        for epoch, (got, want) in enumerate(zip(curves[key], ref[key], strict=True), start=1):
            if not abs(got - want) <= rtol * want:
                problems.append(f"its {what} in epoch {epoch} is {got:.4f}, expected {want:.4f} within {rtol * 100:g}%")
                break
    acc, ref_acc = curves["val_acc"][-1], ref["val_acc"][-1]
    if acc < ref_acc - ACCURACY_MARGIN:
        problems.append(f"its final validation accuracy is {_pct(acc)}, expected at least {_pct(ref_acc - ACCURACY_MARGIN)}")
    return problems


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"
