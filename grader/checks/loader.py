"""Start-up of the check registry: import every module that registers checks, then freeze it.

The list below is the one place that names the check modules; :mod:`grader.checks.registry`
imports none of them. Loading is idempotent and cheap after the first call.
"""

from __future__ import annotations

import importlib

from grader.checks import registry

CHECK_MODULES = (
    "grader.checks.batchnorm_forward",
    "grader.checks.batchnorm_forward_properties",
    "grader.checks.batchnorm_backward",
    "grader.checks.dropout_forward",
    "grader.checks.dropout_forward_properties",
    "grader.checks.dropout_backward",
    "grader.checks.training",
    "grader.checks.kit.checks",
    "grader.checks.kit.gates",
    "grader.checks.conv_training",
)


def load() -> None:
    """Import every check module (their ``@check``/``@gate`` decorators run) and freeze the registry."""
    if registry.CHECKS.frozen:
        return
    for module in CHECK_MODULES:
        importlib.import_module(module)
    registry.freeze()
