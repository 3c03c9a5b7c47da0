"""Property checks of ``batchnorm_forward``, and the gate they require.

"Invalid mode raises ValueError" and "input not modified" also hold for code that does
nothing (the 2020-21 template's own ``pass`` bodies raise ValueError for a bad mode), so
each pays only once ``batchnorm_forward`` does recognisably its job, as the gate
:func:`normalises` decides once per submission: in train mode its output is a per-feature
normalisation of x, the same for x and for 3x + 7, and not constant. Whether the
normalisation is exactly right is for the train-output test; a wrong variance, a missing
eps or a missing gamma/beta still opens the gate.
"""

from __future__ import annotations

import numpy as np

from grader.checks.batchnorm_forward import student_forward
from grader.checks.registry import check, gate
from grader.checks.support import batchnorm_math as bm
from grader.checks.support.context import CheckContext, Fail, Verdict, fault_clause
from grader.sandbox.interface import MissingFunction, NotData, StudentRaised

# Judged by the gate: an unusable return value. The student's exception, a hang or a crash propagate, so the
# gated tests end as the other tests of the function do (error, timeout).
STUDENT_FAULTS = (Fail, MissingFunction, NotData)
# Normalising 3x + 7 instead of x changes out only through eps: eps / (2 var) <= 1e-6 here (var >= 1).
SHIFT_SCALE_TOL = 1e-3


@gate("batchnorm_forward.normalises")
def normalises(ctx: CheckContext) -> str | None:
    """in train mode on a 64x8 batch its output normalises every feature: the same for x and 3x + 7, not
    constant."""
    x, gamma, beta = bm.batch(ctx.rng("gate"), 64, 8, 2.0, 3.0)
    outs = []
    for label, batch in (("x", x), ("3x + 7", 3 * x + 7)):
        try:
            out, _ = student_forward(ctx, batch, gamma, beta, {"mode": "train"}, out_shape=False)
        except STUDENT_FAULTS as exc:
            return f"called in train mode on a 64x8 batch ({label}), {fault_clause(exc)}"
        outs.append(out.astype(np.float64))
    if outs[0].size != x.size or outs[0].ndim != 2 or np.any(np.ptp(outs[0], axis=0) <= 1e-12):
        return "in train mode on a 64x8 batch, some feature of its output is constant"
    if not bm.norm_error(outs[1], outs[0]) < SHIFT_SCALE_TOL:
        return ("in train mode its output for the batch 3x + 7 differs from its output for x: it does not "
                "normalise the features with the batch's mean and variance")
    return None


@check("batchnorm_forward.invalid_mode")
def invalid_mode(ctx: CheckContext) -> Verdict:
    """A mode other than 'train' or 'test' raises ValueError."""
    x, gamma, beta = bm.batch(ctx.rng("data"), 8, 3, 1.0, 0.0)
    try:
        result = ctx.sandbox.call("batchnorm_forward", x, gamma, beta, {"mode": "validation"})
    except StudentRaised as exc:
        if exc.is_a("ValueError"):  # a subclass of ValueError is a ValueError
            return Verdict(True, "bn_param['mode'] = 'validation' raises ValueError.")
        raise Fail(f"bn_param['mode'] = 'validation' should raise ValueError, but raised {exc.exc_type}: "
                   f"{exc.message[:200]}") from None
    raise Fail(f"bn_param['mode'] = 'validation' should raise ValueError, but batchnorm_forward returned "
               f"(a {result.type_name}) without raising.", hint="invalid_mode_accepted")


@check("batchnorm_forward.input_unchanged")
def input_unchanged(ctx: CheckContext) -> Verdict:
    """x, gamma and beta are the same after a train-mode and a test-mode call."""
    rng = ctx.rng("data")
    d = 5
    for mode in ("train", "test"):
        arrays = dict(zip(("x", "gamma", "beta"), bm.batch(rng, 10, d, 2.0, 3.0), strict=True))
        handles = {k: ctx.sandbox.put(v) for k, v in arrays.items()}
        param = {"mode": mode, "running_mean": rng.standard_normal(d), "running_var": rng.uniform(0.5, 2, d)}
        student_forward(ctx, handles["x"], handles["gamma"], handles["beta"], param, arrays["x"].shape,
                        out_shape=False)
        for name, before in arrays.items():
            after = ctx.sandbox.get(handles[name])
            if (type(after) is not np.ndarray or after.shape != before.shape
                    or not np.array_equal(after, before)):
                raise Fail(f"After a {mode}-mode call, the caller's {name} has changed: batchnorm_forward "
                           "must not modify its inputs.", hint="input_modified")
    return Verdict(True, "x, gamma and beta are unchanged after a train-mode and a test-mode call.")
