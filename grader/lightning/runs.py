"""Training runs: the reference networks (cached once per process) and the student's networks.

The reference runs use a fixed seed, independent of the grading seed, so a
worker trains them once (in ``warm_up``) and every submission is compared
against the same curves. A student's run uses that same seed, batch order and
initialisation, so a correct implementation follows the reference's path to
rounding error.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
import torch

from grader.assignments import Assignment
from grader.lightning import data as datasets
from grader.lightning.functions import ReferenceLayers, StudentLayers
from grader.lightning.networks import DROPOUT_RATE, Curves, Network, fit, make

EPOCHS = 3


@dataclass
class ReferenceRuns:
    """The curves of the three networks with the reference layers, and what else the checks compare."""

    curves: dict[str, Curves]
    """``simple``, ``batchnorm`` and ``dropout``."""
    running_mean: np.ndarray
    """The reference batch-norm network's running statistics after training."""
    running_var: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


_CACHE: dict[tuple[Any, ...], ReferenceRuns] = {}


def setup_torch() -> None:
    """One thread for torch's pools: the judge's process is a sibling of forking processes."""
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set, or interop work already started
        torch.set_num_interop_threads(1)


def accelerator(options: dict[str, Any]) -> str:
    """``cuda`` when asked for, or when available and no device was named; ``cpu`` otherwise."""
    device = options.get("device")
    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device in ("cuda", "gpu"):
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device")
        return "cuda"
    if device == "cpu":
        return "cpu"
    raise ValueError(f"unknown device {device!r} (expected cuda, cpu or None)")


def dropout_p(assignment: Assignment) -> float:
    """The ``p`` to hand to dropout_forward for a drop rate of DROPOUT_RATE, in the assignment's
    convention."""
    return DROPOUT_RATE if assignment.dropout_convention == "drop" else 1.0 - DROPOUT_RATE


def reference_runs(assignment: Assignment, reference: ModuleType, options: dict[str, Any]) -> ReferenceRuns:
    """The reference networks' runs for this configuration, trained on first use and then cached."""
    setup_torch()
    key = (assignment.reference_module, assignment.dropout_convention,
           options.get("training_data") or "digits", accelerator(options), EPOCHS)
    if key not in _CACHE:
        data = datasets.load(options.get("training_data"))
        layers = ReferenceLayers(reference, assignment.dropout_convention)
        curves = {"simple": _fit(make("simple", data), data, options),
                  "batchnorm": _fit(make("batchnorm", data, layers), data, options)}
        assert layers.bn_param is not None
        mean, var = layers.bn_param["running_mean"], layers.bn_param["running_var"]
        dropout = ReferenceLayers(reference, assignment.dropout_convention)
        curves["dropout"] = _fit(make("dropout", data, dropout, p=dropout_p(assignment)), data, options)
        _CACHE[key] = ReferenceRuns(curves, mean.copy(), var.copy())
    return _CACHE[key]


def student_run(kind: str, layers: StudentLayers, assignment: Assignment,
                options: dict[str, Any]) -> tuple[Network, Curves]:
    """Train the ``kind`` network on the student's layers; re-raises the student's error as it was."""
    setup_torch()
    data = datasets.load(options.get("training_data"))
    model = make(kind, data, layers, p=dropout_p(assignment))
    try:
        curves = _fit(model, data, options)
    except BaseException:
        if layers.error is not None:
            raise layers.error from None
        raise
    if layers.error is not None:  # raised in a step, and swallowed on the way out
        raise layers.error
    return model, curves


def _fit(model: Network, data: datasets.Data, options: dict[str, Any]) -> Curves:
    return fit(model, data, epochs=EPOCHS, accelerator=accelerator(options))
