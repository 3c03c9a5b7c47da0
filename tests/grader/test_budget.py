"""The submission's budget (the assignment's ``submission_timeout``): the judge enforces it while the child
runs."""

from __future__ import annotations

import dataclasses

import pytest

from grader import runner
from grader.report import Status
from tests.conftest import ROOT

# The reference, every function taking 3 s a call: under the call timeout, over the whole budget.
SLOW = (ROOT / "reference" / "ex08" / "layers.py").read_bytes() + b"""
import functools as _functools
import time as _time


def _slow(fn):
    @_functools.wraps(fn)
    def slow(*args, **kwargs):
        _time.sleep(3)
        return fn(*args, **kwargs)
    return slow


for _name, _fn in list(globals().items()):
    if callable(_fn) and _name.startswith(("batchnorm", "dropout")):
        globals()[_name] = _slow(_fn)
"""


@pytest.fixture
def tight_grader(monkeypatch):
    """ex08 with a 2 s budget and a 5 s call timeout."""
    load = runner.load
    monkeypatch.setattr(runner, "load",
                        lambda *a, **kw: dataclasses.replace(load(*a, **kw), submission_timeout=2.0))
    g = runner.Grader("ex08", call_timeout=5.0)
    yield g
    g.close()


def test_a_submission_is_stopped_at_its_budget_mid_call_and_the_rest_is_timeout(tight_grader):
    report = tight_grader.grade(SLOW, training=False)
    # The first call (3 s, under the call timeout) is cut at the 2 s budget: its test did not get to finish.
    assert report.tests[0].status is Status.TIMEOUT
    assert all(t.status is Status.TIMEOUT and t.score == 0 for t in report.tests)
