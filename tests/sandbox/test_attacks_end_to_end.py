"""A few attacks graded end to end by the real Grader: no points beyond what an honest wrong answer earns."""

from __future__ import annotations

from pathlib import Path

import pytest

ATTACKS = Path(__file__).parents[1] / "attacks"
CONTROL = b"""import numpy as np
def dropout_forward(x, dropout_param):
    return np.zeros_like(x), None
def batchnorm_forward(x, gamma, beta, bn_param):
    return np.zeros_like(x), None
"""
NAMES = ["forged_stdout_json", "monkeypatch_numpy", "always_equal_object", "ndarray_subclass",
         "float_subclass", "patch_the_grader", "os_exit_in_call", "signal_the_parent"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def grader():
    from grader.checks.registry import UnknownCheck
    from grader.runner import Grader

    try:
        g = Grader()
    except UnknownCheck as exc:  # the assignment names checks still being written
        pytest.skip(f"the grader is not complete yet: {exc}")
    yield g
    g.factory.close()


@pytest.mark.parametrize("name", NAMES)
def test_attack_scores_no_more_than_an_honest_wrong_answer(grader, name):
    control = grader.grade(CONTROL, training=False)
    report = grader.grade((ATTACKS / f"{name}.py").read_bytes(), training=False)
    assert report.sandbox["insecure"] is False
    assert report.score <= control.score, [(t.name, t.score) for t in report.tests if t.score]
