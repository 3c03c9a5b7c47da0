"""What the checks measure on a trained network besides its curves: how its eval mode behaves.

Each probe returns a :class:`Probe`: a problem to report (empty when fine), the
hint it matches, an informational note, and the measured values for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from grader.lightning.data import Data
from grader.lightning.functions import EPS, StudentLayers, to_numpy
from grader.lightning.networks import BatchNormNetwork, Network, predict

AGREE = 1e-4
"""Logits agree when they differ by at most this, relative to the largest logit (float32 rounding: ~1e-7)."""
PROBE_SIZE = 25


@dataclass
class Probe:
    problem: str = ""
    """What is wrong, as a clause ("in eval mode its ..."); empty when nothing is."""
    hint: str = ""
    """Key of the recognised mistake, or empty."""
    note: str = ""
    """Something worth telling the student that does not cost points."""
    data: dict[str, Any] = field(default_factory=dict)


def running_stats_probe(model: BatchNormNetwork, layers: StudentLayers, data: Data, running_mean: np.ndarray,
                        running_var: np.ndarray) -> Probe:
    """Eval-mode predictions on a batch of one class must be those of the running statistics in bn_param.

    A batch of one class has statistics far from the running ones (which
    average over all classes), so predictions made with the batch's own
    statistics stand out. ``running_mean``/``running_var`` are the reference
    network's, for the report's diagnosis only.
    """
    mean, var = layers.running_stats()
    x = one_class_batch(data)
    got = predict(model, x)
    with torch.no_grad():
        h = to_numpy(model.fc1(x.to(model.device)))
        gamma, beta = to_numpy(model.gamma), to_numpy(model.beta)
    with np.errstate(all="ignore"):  # a negative running variance gives NaN: it then matches nothing
        running = [_logits(model, gamma * (h - mean) / np.sqrt(var + EPS) + beta)]
        if np.all(var > 0):  # the template's test mode omits eps: just as correct
            running.append(_logits(model, gamma * (h - mean) / np.sqrt(var) + beta))
        batch = _logits(model, gamma * (h - h.mean(axis=0)) / np.sqrt(h.var(axis=0) + EPS) + beta)
    off_running = min(_difference(got, r) for r in running)
    probe = Probe(data={"batch_size": len(x), "difference_from_running_stats": off_running,
                        "difference_from_batch_stats": _difference(got, batch),
                        "running_vs_batch": _difference(running[0], batch),
                        "running_mean_error": _difference(mean, running_mean),
                        "running_var_error": _difference(var, running_var)})
    if off_running <= AGREE:
        return probe
    if _difference(got, batch) <= AGREE:
        probe.problem = ("in eval mode its predictions on a batch of one class are those computed with the "
                         "batch's own mean and variance, not with the running averages in bn_param "
                         f"(they differ from the running-statistics predictions by {off_running:.3g})")
        probe.hint = "test_uses_batch_stats"
    else:
        probe.problem = ("in eval mode its predictions differ from those computed with the running averages "
                         f"in bn_param (largest difference {off_running:.3g}, relative)")
    return probe


def eval_determinism_probe(model: Network, layers: StudentLayers, data: Data) -> Probe:
    """Two eval passes over the same inputs must give identical outputs; eval dropout should be the
    identity."""
    x = data.val.tensors[0][:100]
    first, second = predict(model, x), predict(model, x)
    with torch.no_grad():
        plain = model.fc2(F.relu(model.fc1(x.to(model.device)))).double().cpu().numpy()
    probe = Probe(data={"repeat_difference": _difference(first, second),
                        "difference_from_no_dropout": _difference(first, plain)})
    if not np.array_equal(first, second):
        probe.problem = ("in eval mode two passes over the same 100 validation images gave different outputs "
                         f"(largest difference {probe.data['repeat_difference']:.3g}, relative): dropout "
                         "must "
                         "not draw a mask when dropout_param['mode'] is 'test'")
        probe.hint = "scaled_at_test"
    elif probe.data["difference_from_no_dropout"] > AGREE:
        probe.note = ("Note: in eval mode your dropout changes its input instead of returning it unchanged; "
                      "see the dropout_forward test-mode test.")
    return probe


DROPOUT_ALPHA = 1e-9
"""Chance that a correct dropout fails :func:`dropout_behaviour_probe`'s fraction test (an upper bound)."""
SCALE_TOL = 1e-6
"""Kept units within this (relative) of x / keep, eval output within this of x. float32 rounding: ~6e-8."""


def dropout_fraction_tolerance(live: int, alpha: float = DROPOUT_ALPHA) -> float:
    """How far the fraction of live units dropped may stray from p in a correct implementation.

    A correct mask drops each unit independently with probability p, whatever
    its input, so among ``live`` units the number dropped is Binomial(live, p).
    Hoeffding's inequality gives P(|fraction - p| >= t) <= 2 exp(-2 live t^2)
    for every p and every ``live``; t = sqrt(ln(2 / alpha) / (2 live)) makes
    that at most ``alpha`` = 1e-9. A run passes ~1e5 to 1e6 live units
    (digits: ~4e5), so t is about 0.005 there: for p = 0.5 that is 6.5
    binomial standard deviations, yet an identity (0 dropped) or a mask with
    the other convention at p != 0.5 is off by far more.
    """
    return float(np.sqrt(np.log(2.0 / alpha) / (2.0 * max(live, 1))))


def dropout_behaviour_probe(layers: StudentLayers) -> Probe:
    """What the student's dropout did during the run: drop about p, scale the kept by 1/keep, eval =
    identity."""
    seen = layers.dropout_seen
    probe = Probe(data={"train_units_nonzero_input": seen.live, "train_units_zeroed": seen.zeroed,
                        "train_kept_error": seen.kept_error, "eval_units": seen.eval_units,
                        "eval_error": seen.eval_error})
    problems: list[str] = []
    if seen.live:
        fraction, tol = seen.zeroed / seen.live, dropout_fraction_tolerance(seen.live)
        probe.data.update(fraction_dropped=fraction, fraction_tolerance=tol, p_drop=seen.drop)
        if abs(fraction - seen.drop) > tol:
            problems.append(f"in train mode it zeroed {_pct(fraction)} of the {seen.live} units with a "
                            "nonzero "
                            f"input, expected {_pct(seen.drop)} ± {_pct(tol)} (a drop probability of "
                            f"{seen.drop:g})")
        keep = 1.0 - seen.drop
        if seen.kept_error > SCALE_TOL:
            low, high = seen.kept_ratio
            measured = (f"x times {low:.4g}" if np.isclose(low, high, rtol=1e-6) else
                        f"between x times {low:.4g} and x times {high:.4g}") if low <= high else "not finite"
            problems.append(f"in train mode the units it kept came out {measured}, expected x / keep = x / "
                            f"{keep:g} "
                            f"(largest relative difference {seen.kept_error:.3g})")
            if not problems[:-1] and low <= high and np.isclose(low, 1.0, rtol=1e-6) \
                    and np.isclose(high, 1.0, rtol=1e-6):  # it drops about p, but does not rescale
                probe.hint = "missing_rescale"
    if seen.eval_error > SCALE_TOL:
        zeroed = f", {seen.eval_zeroed} nonzero inputs came out as 0" if seen.eval_zeroed else ""
        problems.append(f"in eval mode its output was not its input (largest relative difference "
                        f"{seen.eval_error:.3g}{zeroed})")
        probe.hint = probe.hint or "scaled_at_test"
    if problems:
        probe.problem = "; ".join(problems)
    return probe


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def one_class_batch(data: Data) -> torch.Tensor:
    """Up to PROBE_SIZE validation inputs of the most frequent class."""
    x, y = data.val.tensors
    label = int(torch.bincount(y).argmax())
    return x[y == label][:PROBE_SIZE]


def _logits(model: Network, bn_out: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        h = torch.from_numpy(bn_out).to(device=model.device, dtype=model.fc2.weight.dtype)
        return model.fc2(F.relu(h)).double().cpu().numpy()


def _difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference, relative to the largest magnitude in ``b`` (inf when either has NaN)."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return float("inf")
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
    return float(np.max(np.abs(a - b), initial=0.0)) / scale
