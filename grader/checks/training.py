"""Checks of the training part: the course's networks, trained on the student's layers.

The batch-norm and dropout networks run in Lightning in the judge, with the
student's functions as autograd Functions (:mod:`grader.lightning`). The student
only ever sees activations and gradients, never labels, losses or
accuracies. Reference runs with the same fixed seed are trained once per worker
(:func:`warm_up`); a correct student's network follows the reference's path to
rounding error, which is what makes tight comparisons safe.

Measured on digits, 3 epochs (see tests/grader/test_training_check.py and the
note in the commit): correct implementations written differently (staged
backward, E[x^2] - E[x]^2, no eps in test mode, a ">= p" mask) give train-loss
curves identical to the reference's to the 6 digits recorded; computing
everything in float32 moves them by 7e-6, and noise of 1e-5 relative on every
output and gradient by 2.3e-5. Wrong batch-norm gradients move them by 2e-3
(missing mean path) to 0.6 (dx = 0). Hence the tolerances below: 40x the
worst legitimate deviation we could produce, and still below the smallest
mistake.
"""

from __future__ import annotations

from typing import Any

from grader.checks.registry import check
from grader.checks.support.context import CheckContext, Fail, Verdict

TRAIN_LOSS_RTOL = 1e-3
"""Per-epoch train loss within 0.1% of the reference's (legitimate: <= 2.3e-5 absolute on ~0.35 to 1.5)."""
VAL_LOSS_RTOL = 1e-2
"""Per-epoch validation loss within 1% (legitimate, incl. no eps in test mode: <= 6e-5 absolute on ~0.24)."""
ACCURACY_MARGIN = 0.02
"""Batch-norm network: final validation accuracy at most 2 points below the reference's (legitimate: 0)."""
DROPOUT_MARGIN = 0.05
"""Dropout network: final validation accuracy at most 5 points below the reference's. Masks legitimately
differ (``rand < 1 - p`` or ``rand >= p``); over 40 mask seeds the reference ended at 0.933 to 0.944
(std 0.0023), so 5 points is 20 standard deviations."""
BUDGET_SHARE = 0.25
"""Share of the assignment's submission time one training run may take (30 s of 120 s)."""
LAYER_TOL = 1e-6
"""For the diagnosis only: a layer output this far (relative) from the reference's on the same input is
wrong."""
RUNNING_TOL = 1e-3
"""For the diagnosis only: running averages this far (relative) from the reference network's are wrong."""


def warm_up(assignment: Any, options: dict[str, Any]) -> None:
    """Import torch and Lightning, and train and cache the reference networks (once per process)."""
    import importlib

    from grader.lightning import runs

    reference = importlib.import_module(assignment.reference_module)
    runs.reference_runs(assignment, reference, options)


@check("training.batchnorm_network")
def batchnorm_network(ctx: CheckContext) -> Verdict:
    """The batch-norm network trains like the reference's and evaluates with the running statistics."""
    from grader.lightning import runs
    from grader.lightning.probes import running_stats_probe

    reference = runs.reference_runs(ctx.assignment, ctx.reference, ctx.options)
    layers = _layers(ctx)
    model, curves = _run("batch-norm", "batchnorm", layers, ctx)
    data = _data(ctx, reference.curves, "batchnorm", curves, layers)
    problems = _tracking_problems(curves, reference.curves["batchnorm"])
    probe = running_stats_probe(model, layers, _dataset(ctx), reference.running_mean, reference.running_var)
    data["eval_probe"] = probe.data
    if probe.problem:
        problems.append(probe.problem)
    if problems:
        data["caused_by"] = _caused_by(layers.compare.errors)
        raise Fail(_failure("batch-norm", problems, _explain(layers.compare.errors, probe)),
                   hint=probe.hint, data=data)
    return Verdict(True, f"Your batch-norm network trained like the reference for {runs.EPOCHS} epochs "
                         f"(final validation accuracy {_pct(curves['val_acc'][-1])}, reference "
                         f"{_pct(reference.curves['batchnorm']['val_acc'][-1])}), and in eval mode it "
                         "normalises with the running statistics.", data=data)


@check("training.dropout_network")
def dropout_network(ctx: CheckContext) -> Verdict:
    """The dropout network learns (about as well as the reference's) and is deterministic in eval mode.

    It must also have been real inverted dropout while it trained, judged from what the student's
    dropout_forward returned on the run's own activations (:func:`dropout_behaviour_probe`): about p of
    the units with a nonzero input zeroed in train mode (false-failure chance <= 1e-9), the others
    exactly x / keep, and eval mode the identity. Accuracy alone cannot tell: an identity, a
    non-inverted or a test-time-scaled dropout learn digits just as well.
    """
    from grader.lightning import runs
    from grader.lightning.probes import dropout_behaviour_probe, eval_determinism_probe

    reference = runs.reference_runs(ctx.assignment, ctx.reference, ctx.options)
    layers = _layers(ctx)
    model, curves = _run("dropout", "dropout", layers, ctx)
    # Judged first (while only training and validation have called dropout_forward), then the eval probe.
    behaviour = dropout_behaviour_probe(layers)
    data = _data(ctx, reference.curves, "dropout", curves, layers)
    acc, ref_acc = curves["val_acc"][-1], reference.curves["dropout"]["val_acc"][-1]
    problems = _learning_problems(curves, ref_acc)
    probe = eval_determinism_probe(model, layers, _dataset(ctx))
    data["eval_probe"] = probe.data
    data["dropout_behaviour"] = behaviour.data
    if probe.problem:
        problems.append(probe.problem)
    if behaviour.problem:
        problems.append(behaviour.problem)
    if problems:
        explanation = _explain(layers.compare.errors)
        if behaviour.problem:
            explanation = (f"{explanation} The dropout_forward tests (fraction of units dropped, kept units "
                           "scaled, test mode is the identity) name the mistake.").strip()
        data["caused_by"] = (_caused_by(layers.compare.errors)
                             or (["dropout_forward"] if behaviour.problem else []))
        raise Fail(_failure("dropout", problems, explanation), hint=probe.hint or behaviour.hint, data=data)
    note = f" {probe.note}" if probe.note else ""
    return Verdict(True, f"Your dropout network learned (final validation accuracy {_pct(acc)}, reference "
                         f"{_pct(ref_acc)}); in training your dropout zeroed "
                         f"{_pct(behaviour.data.get('fraction_dropped', 0.0))} of the units and scaled the "
                         f"others by 1/keep, and in eval mode it returned its input unchanged.{note}",
                   data=data)


# --- helpers -------------------------------------------------------------------------------------

def _layers(ctx: CheckContext) -> Any:
    from grader.lightning.functions import StudentLayers

    return StudentLayers(ctx.sandbox, budget=BUDGET_SHARE * ctx.assignment.submission_timeout,
                         reference=ctx.reference, convention=ctx.assignment.dropout_convention)


def _run(title: str, kind: str, layers: Any, ctx: CheckContext) -> tuple[Any, dict[str, list[float]]]:
    from grader.lightning import runs

    try:
        return runs.student_run(kind, layers, ctx.assignment, ctx.options)
    except Fail as exc:
        where = f" ({layers.where})" if layers.where else ""
        raise Fail(f"While training the {title} network{where}: {exc.message}", hint=exc.hint,
                   data=exc.data) from None


def _dataset(ctx: CheckContext) -> Any:
    from grader.lightning import data

    return data.load(ctx.options.get("training_data"))


def _data(ctx: CheckContext, reference: dict[str, Any], kind: str, curves: dict[str, list[float]],
          layers: Any) -> dict[str, Any]:
    from grader.lightning import runs

    return {"curves": {"simple": reference["simple"], f"{kind}_reference": reference[kind], kind: curves},
            "epochs": runs.EPOCHS, "data": _dataset(ctx).name,
            "device": runs.accelerator(ctx.options), "calls": layers.calls,
            "layer_errors": {k: float(f"{v:.3g}") for k, v in layers.compare.errors.items()}}


def _learning_problems(curves: dict[str, list[float]], ref_acc: float) -> list[str]:
    """The dropout network's: final accuracy within DROPOUT_MARGIN of the reference's, a decreasing loss."""
    problems = []
    acc = curves["val_acc"][-1]
    if acc < ref_acc - DROPOUT_MARGIN:
        problems.append(f"its final validation accuracy is {_pct(acc)}, expected at least "
                        f"{_pct(ref_acc - DROPOUT_MARGIN)} (the reference's {_pct(ref_acc)} minus "
                        f"{DROPOUT_MARGIN * 100:g} points)")
    if not curves["train_loss"][-1] < curves["train_loss"][0]:
        problems.append(f"its training loss did not decrease (first epoch {curves['train_loss'][0]:.4f}, "
                        f"last {curves['train_loss'][-1]:.4f})")
    return problems


def _tracking_problems(curves: dict[str, list[float]], ref: dict[str, list[float]]) -> list[str]:
    problems = []
    for key, rtol, what in (("train_loss", TRAIN_LOSS_RTOL, "training loss"),
                            ("val_loss", VAL_LOSS_RTOL, "validation loss")):
        worst = max(range(len(ref[key])), key=lambda i: abs(curves[key][i] - ref[key][i]) / ref[key][i])
        got, want = curves[key][worst], ref[key][worst]
        if abs(got - want) > rtol * want:
            problems.append(f"its {what} in epoch {worst + 1} is {got:.4f}, expected {want:.4f} "
                            f"within {rtol * 100:g}%")
    acc, ref_acc = curves["val_acc"][-1], ref["val_acc"][-1]
    if acc < ref_acc - ACCURACY_MARGIN:
        problems.append(f"its final validation accuracy is {_pct(acc)}, expected at least "
                        f"{_pct(ref_acc - ACCURACY_MARGIN)} (the reference's {_pct(ref_acc)} minus "
                        f"{ACCURACY_MARGIN * 100:g} points)")
    return problems


def _caused_by(errors: dict[str, float]) -> list[str]:
    """The layer functions whose outputs were off during training: the report lists the failure under their
    mistake."""
    return sorted({k.split()[0] for k, v in errors.items() if v > LAYER_TOL})


def _explain(errors: dict[str, float], probe: Any = None) -> str:
    """Which layer-level test explains the failure, from how the layers behaved during training."""
    wrong = [(k, v) for k, v in errors.items() if v > LAYER_TOL]
    if wrong:
        parts = [f"{k} was off by {v:.2g} (relative)" for k, v in wrong]
        functions = sorted({k.split()[0] for k, _ in wrong})
        return ("Compared with the correct layers on the very inputs training produced, " + "; ".join(parts) +
                ". The " + " and ".join(functions) + " tests show what is wrong; fix those first.")
    off = max(probe.data.get("running_mean_error", 0.0), probe.data.get("running_var_error", 0.0)) \
        if probe is not None else 0.0
    if off > RUNNING_TOL:
        return ("Your layers computed the right outputs and gradients in train mode, but after training your "
                f"running averages differ from the correct ones by {off:.2g} (relative): the "
                "batchnorm_forward "
                "running-average tests show what is wrong.")
    return ""


def _failure(title: str, problems: list[str], explanation: str) -> str:
    text = (f"Your {title} network was trained on your layers and compared with the same network on correct "
            "layers (same seed, same batches): " + "; and ".join(problems) + ".")
    return f"{text} {explanation}".strip()


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"
