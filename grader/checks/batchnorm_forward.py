"""Checks of ``batchnorm_forward(x, gamma, beta, bn_param) -> (out, cache)``.

Train mode must normalise with the batch mean and the *biased* batch variance
plus eps, then scale and shift; it must update the running averages with
``momentum * running + (1 - momentum) * batch_stat`` and store them back into
``bn_param`` (callers read them from there). Test mode normalises with the
running statistics (with or without eps: the template omits it, both are
accepted) and leaves them alone. Any other mode raises ValueError, and the
caller's arrays are never modified (those two properties, and the gate they
require, are in :mod:`grader.checks.batchnorm_forward_properties`).

Every check is deterministic: the inputs come from the judge's generator and
every expected value is computed here, in float64, from the very arrays the
student received. Tolerances sit next to the constants, with the measured
round-off of correct code and the size of the smallest mistake they must catch.
A mistake is named only when the student's numbers match the arithmetic of
that mistake (grader/checks/support/batchnorm_math.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.checks.kit import contract
from grader.checks.kit.calls import call_forward
from grader.checks.registry import check
from grader.checks.support import batchnorm_math as bm
from grader.checks.support.context import CheckContext, Fail, Verdict, as_array
from grader.sandbox.interface import CallTimedOut, ChildDied, Handle

# Largest allowed bm.norm_error of `out` (max deviation / max |expected|). float64: correct code
# written any usual way (np.var, E[x^2] - E[x]^2, staged) measured <= 2e-12 on these cases; the
# smallest mistake to catch, unbiased variance on N = 200, is 4e-3, missing eps on the small-variance
# case 2.5e-2. float32: the template measured <= 7e-7 and the E[x^2] - E[x]^2 form <= 5e-6 on
# N >= 128, x = 5*randn + 12 (float32 has 6e-8 resolution, amplified by |x|/std); unbiased variance
# there is >= 1.7e-3. Missing eps is caught by the float64 cases, where it is visible.
OUT_TOL = {np.dtype(np.float64): 1e-8, np.dtype(np.float32): 1e-4}
# Running averages are a few float64 multiply-adds: round-off ~1e-16; a swapped momentum or an
# unbiased variance changes them by >= 1e-3.
RUNNING_TOL = 1e-9
# Feature statistics (mean, std) of `out` in float64, relative to |gamma|: round-off ~1e-15; eps moves
# the std of the narrowest column (std 0.05) by 2e-3, the unbiased variance every std by >= 5e-4.
STATS_TOL = 1e-6

# (N, D, scale, offset, dtype, eps or None for the default): x = scale * randn + offset.
TRAIN_CASES = (
    (4, 5, 5.0, 12.0, np.float64, None),  # the notebook's case
    (50, 8, 0.01, 0.5, np.float64, None),  # var ~1e-4: eps = 1e-5 changes out by ~2.5%
    (64, 16, 1.0, 0.0, np.float64, 1e-2),  # eps taken from bn_param
    (200, 30, 5.0, 12.0, np.float32, None),
    (128, 10, 2.0, -3.0, np.float32, None),
)


def student_forward(ctx: CheckContext, x: np.ndarray | Handle, gamma: np.ndarray | Handle,
                    beta: np.ndarray | Handle, bn_param: dict[str, Any] | Handle,
                    shape: tuple[int, ...] | None = None, *,
                    out_shape: bool = True) -> tuple[np.ndarray, Handle]:
    """Call the student's forward (the contract's ``batchnorm`` layer, through the kit); returns ``(out,
    result handle)``, ``out`` checked for type and shape.

    ``shape`` is the shape of x, needed when x is passed as a handle. With ``out_shape=False``
    any shape of ``out`` is accepted (tests of bn_param and of the inputs do not judge ``out``).

    A hang or a crash is remembered in ``ctx.shared`` so that the backward checks do not
    wait for it again (they judge the backward on the template's cache instead).
    """
    layer = contract.layer(ctx.assignment, "batchnorm")
    try:
        result = call_forward(ctx, layer, [x, gamma, beta, bn_param])
    except (CallTimedOut, ChildDied) as exc:
        ctx.shared["batchnorm_forward.broken"] = f"{layer.forward} {exc}"
        raise
    shape = (shape or getattr(x, "shape", None)) if out_shape else None
    value = result.take(0)
    if shape is not None and len(shape) == 2 and shape[0] != shape[1] and type(value) is np.ndarray \
            and value.shape == tuple(shape)[::-1]:
        raise Fail(f"The `out` returned by batchnorm_forward should have shape {tuple(shape)}, but has shape "
                   f"{value.shape}: it is transposed.", hint="output_transposed")
    out = as_array(value, "The `out` returned by batchnorm_forward", shape)
    return out, result.handle


def describe(n: int, d: int, scale: float, offset: float, dtype: Any, eps: float | None) -> str:
    eps_text = f"eps = {eps:g}" if eps is not None else "default eps"
    return f"a {n}x{d} {np.dtype(dtype).name} batch x = {scale:g}*randn {'-' if offset < 0 else '+'} " \
           f"{abs(offset):g}, {eps_text}"


FORWARD_RIGHT = "batchnorm_forward.right"
TRAIN_MISTAKE = "batchnorm_forward.train_mistake"
"""The mistake the train-output test named, so that a test downstream does not charge it again."""


@check("batchnorm_forward.train_output")
def train_output(ctx: CheckContext) -> Verdict:
    """Train-mode `out` equals gamma * (x - mean) / sqrt(var + eps) + beta, float64 and float32."""
    rng = ctx.rng("data")
    # The backward checks read this verdict (FORWARD_RIGHT): it decides, once per submission, whether the
    # student's own cache is the yardstick, so a forward cannot steer that choice call by call.
    ctx.shared[FORWARD_RIGHT] = False
    for n, d, scale, offset, dtype, eps in TRAIN_CASES:
        x, gamma, beta = bm.batch(rng, n, d, scale, offset, dtype)
        param: dict[str, Any] = {"mode": "train"} if eps is None else {"mode": "train", "eps": eps}
        out, _ = student_forward(ctx, x, gamma, beta, param)
        g, b = gamma.astype(np.float64), beta.astype(np.float64)
        expected = bm.forward(x, g, b, 1e-5 if eps is None else eps)
        tol = OUT_TOL[np.dtype(dtype)]
        err = bm.norm_error(out, expected)
        if not err < tol:
            found = bm.matching_variant(out, bm.forward_variants(x, g, b, 1e-5 if eps is None else eps),
                                        expected, tol)
            detail = f" Your output equals the one computed with {found[1]}." if found else ""
            ctx.shared[TRAIN_MISTAKE] = found[0] if found else ""
            raise Fail(f"On {describe(n, d, scale, offset, dtype, eps)}, train-mode out differs from "
                       f"gamma * (x - mean) / sqrt(var + eps) + beta (biased variance): largest deviation "
                       f"{err:.2e} of the largest |out|, allowed {tol:.0e}.{detail}",
                       hint=found[0] if found else "")
    ctx.shared[FORWARD_RIGHT] = True
    return Verdict(True, f"Train-mode out matches the reference on {len(TRAIN_CASES)} batches "
                         "(N = 4 to 200, float64 and float32, default and custom eps).")


@check("batchnorm_forward.normalized_stats")
def normalized_stats(ctx: CheckContext) -> Verdict:
    """Per feature, mean(out) = beta and std(out) = |gamma| * sqrt(var / (var + eps)) (the notebook's
    printout)."""
    rng = ctx.rng("data")
    n, d, eps = 200, 10, 1e-5
    x, _, beta = bm.batch(rng, n, d, np.geomspace(0.05, 5.0, d), rng.uniform(-10, 10, d))
    gamma = rng.uniform(0.5, 3.0, d)
    out, _ = student_forward(ctx, x, gamma, beta, {"mode": "train"})
    err = _stats_error(out, bm.forward(x, gamma, beta, eps), gamma)
    if err < STATS_TOL:
        return Verdict(True, f"On a {n}x{d} batch, every feature of out has mean beta and std gamma "
                             f"(times sqrt(var / (var + eps))), within {STATS_TOL:.0e}.")
    found = next(((key, what) for key, what, variant in bm.forward_variants(x, gamma, beta, eps)
                  if _stats_error(out, variant, gamma) < STATS_TOL), None)
    detail = f" Your features have the statistics of an output computed with {found[1]}." if found else ""
    raise Fail(f"On a {n}x{d} batch with features of std 0.05 to 5, every feature of out should have mean "
               f"beta and std gamma * sqrt(var / (var + eps)). Measured: off by up to {err:.2e} (relative to "
               f"gamma), allowed {STATS_TOL:.0e}.{detail}", hint=found[0] if found else "")


def _stats_error(out: np.ndarray, want: np.ndarray, gamma: np.ndarray) -> float:
    """Largest difference of the per-feature means and stds of ``out`` and ``want``, relative to |gamma|."""
    diffs = np.abs(np.concatenate([out.mean(axis=0) - want.mean(axis=0), out.std(axis=0) - want.std(axis=0)]))
    return float(np.max(diffs / np.tile(np.abs(gamma), 2)))


def _running_state(ctx: CheckContext, bn_param: Handle, d: int, when: str) -> tuple[np.ndarray, np.ndarray]:
    """bn_param's running_mean and running_var as the student left them; Fail when they are not there."""
    state = ctx.sandbox.get(bn_param)
    missing = [k for k in ("running_mean", "running_var") if type(state) is not dict or k not in state]
    if missing:
        raise Fail(f"After {when}, bn_param has no {' and no '.join(repr(k) for k in missing)}: the running "
                   "averages are not stored back into bn_param, so callers never see them.",
                   hint="running_not_written_back")
    return (as_array(state["running_mean"], f"bn_param['running_mean'] after {when}", (d,)),
            as_array(state["running_var"], f"bn_param['running_var'] after {when}", (d,)))


# (momentum, eps, start from given running stats?) for the two sequences of train-mode calls.
RUNNING_SEQUENCES = ((None, None, False), (0.75, 1e-3, True))
RUNNING_RULES = {  # name: (hint, what, update(running, batch_stat, momentum, is_var, n, eps))
    "correct": ("", "", lambda r, s, m, v, n, e: m * r + (1 - m) * s),
    "swapped": ("running_swapped", "(1 - momentum) * running + momentum * batch",
                lambda r, s, m, v, n, e: (1 - m) * r + m * s),
    "stale": ("running_not_updated", "no update at all", lambda r, s, m, v, n, e: r),
    "unbiased": ("unbiased_variance", "the unbiased batch variance (N - 1) in running_var",
                 lambda r, s, m, v, n, e: m * r + (1 - m) * (s * n / (n - 1) if v else s)),
    "fixed_momentum": ("momentum_ignored", "momentum 0.9 instead of bn_param['momentum']",
                       lambda r, s, m, v, n, e: 0.9 * r + 0.1 * s),
    "eps_in_var": ("eps_in_running_var", "var + eps in running_var", lambda r, s, m, v, n,
                   e: m * r + (1 - m) * (s + e if v else s)),
}


@check("batchnorm_forward.running_averages")
def running_averages(ctx: CheckContext) -> Verdict:
    """After each of 3 train-mode calls, running = momentum * running + (1 - momentum) * batch stat."""
    rng = ctx.rng("data")
    n, d, steps = 32, 6, 3
    for momentum, eps, preset in RUNNING_SEQUENCES:
        param: dict[str, Any] = {"mode": "train"}
        if momentum is not None:
            param.update(momentum=momentum, eps=eps)
        if preset:
            param.update(running_mean=rng.standard_normal(d), running_var=rng.uniform(0.5, 2.0, d))
        start = (param.get("running_mean", np.zeros(d)), param.get("running_var", np.zeros(d)))
        sims: dict[str, tuple[np.ndarray, np.ndarray]] = {name: start for name in RUNNING_RULES}
        handle = ctx.sandbox.put(param)
        setting = (f"momentum = {momentum}, eps = {eps}, starting from given running averages"
                   if preset else "default momentum and eps, starting without running averages")
        for step in range(1, steps + 1):
            x, gamma, beta = bm.batch(rng, n, d, rng.uniform(0.5, 3.0, d), rng.uniform(-5, 5, d))
            student_forward(ctx, x, gamma, beta, handle, out_shape=False)
            stats = bm.batch_stats(x)
            m, e = 0.9 if momentum is None else momentum, 1e-5 if eps is None else eps
            sims = {name: (rule(sims[name][0], stats[0], m, False, n, e),
                           rule(sims[name][1], stats[1], m, True, n, e))
                    for name, (_, _, rule) in RUNNING_RULES.items()}
            when = f"train-mode call {step} of {steps} ({setting})"
            got = _running_state(ctx, handle, d, when)
            _compare_running(got, sims, when, charged=ctx.shared.get(TRAIN_MISTAKE, ""))
    return Verdict(True, "The running mean and variance follow momentum * running + (1 - momentum) * batch "
                         f"statistic over {steps} calls, with the default momentum and with momentum 0.75.")


def _compare_running(got: tuple[np.ndarray, np.ndarray], sims: Mapping[str, tuple[np.ndarray, np.ndarray]],
                     when: str, charged: str = "") -> None:
    """Fail unless ``got`` follows the correct rule; the unbiased variance passes when train_output charged
    it."""
    errs = [bm.norm_error(g, w) for g, w in zip(got, sims["correct"], strict=True)]
    if max(errs) < RUNNING_TOL:
        return
    if charged == "unbiased_variance" and all(bm.norm_error(g, w) < RUNNING_TOL
                                              for g, w in zip(got, sims["unbiased"], strict=True)):
        return  # one mistake (N - 1 in the batch variance), already charged by the train-output test
    k = int(errs[1] > errs[0])
    which = ("running_mean", "running_var")[k]
    matches = [(hint, what) for name, (hint, what, _) in RUNNING_RULES.items() if name != "correct" and
               all(bm.norm_error(g, w) < RUNNING_TOL for g, w in zip(got, sims[name], strict=True))]
    hint, what = matches[0] if matches else ("", "")
    detail = f" Your values are those of {what}." if what else ""
    raise Fail(f"After {when}, bn_param[{which!r}] should be momentum * running + (1 - momentum) * batch "
               f"statistic (biased variance): expected {_show(sims['correct'][k])}, got {_show(got[k])} "
               f"(largest relative deviation {max(errs):.2e}, allowed {RUNNING_TOL:.0e}).{detail}", hint=hint)


def _show(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a)[:3], precision=4, separator=", ").rstrip("]") + ", ...]"


@check("batchnorm_forward.writes_back")
def writes_back(ctx: CheckContext) -> Verdict:
    """A train-mode call on a bn_param without running averages leaves both, of shape (D,), in bn_param."""
    rng = ctx.rng("data")
    x, gamma, beta = bm.batch(rng, 16, 7, 2.0, 1.0)
    handle = ctx.sandbox.put({"mode": "train"})
    student_forward(ctx, x, gamma, beta, handle, out_shape=False)
    _running_state(ctx, handle, 7, "one train-mode call on bn_param = {'mode': 'train'}")
    return Verdict(True,
                   "After a train-mode call, bn_param holds 'running_mean' and 'running_var' of shape (D,).")


# Test mode in float64: round-off ~1e-15. The two accepted outputs (with and without eps) differ by
# eps / (2 * running_var) <= 1e-5 here, and each is compared on its own, so both pass; batch statistics
# instead of the running ones change out by O(1) (the batch is drawn far from the running statistics).
TEST_TOL = 1e-9


def _missing_affine(out: np.ndarray, x: np.ndarray, running: tuple[np.ndarray, np.ndarray], gamma: np.ndarray,
                    beta: np.ndarray) -> str:
    """How test mode's ``out`` leaves out gamma and/or beta (in words), or ""."""
    ones, zeros = np.ones_like(gamma), np.zeros_like(beta)
    for g, b, what in ((ones, beta, "plus beta, without gamma"), (gamma, zeros, "times gamma, without beta"),
                       (ones, zeros, "without gamma and beta")):
        if min(bm.norm_error(out, want) for want in bm.test_outputs(x, g, b, *running, 1e-5)) < TEST_TOL:
            return what
    return ""


@check("batchnorm_forward.test_mode")
def test_mode(ctx: CheckContext) -> Verdict:
    """Test mode normalises with bn_param's running statistics and leaves them unchanged."""
    rng = ctx.rng("data")
    n, d = 20, 6
    x, gamma, beta = bm.batch(rng, n, d, 3.0, 5.0)
    running = (rng.standard_normal(d), rng.uniform(0.5, 2.0, d))
    handle = ctx.sandbox.put({"mode": "test", "running_mean": running[0], "running_var": running[1]})
    out, _ = student_forward(ctx, x, gamma, beta, handle)
    accepted = bm.test_outputs(x, gamma, beta, *running, 1e-5)
    err = min(bm.norm_error(out, want) for want in accepted)
    if not err < TEST_TOL:
        batch_out = bm.forward(x, gamma, beta, 1e-5)
        uses_batch = (bm.norm_error(out, batch_out) < 1e-6
                      or bm.norm_error(out, bm.forward(x, gamma, beta, 0.0)) < 1e-6)
        affine = _missing_affine(out, x, running, gamma, beta)
        detail = " Your output is the batch-normalised one, computed with this batch's mean and variance." \
            if uses_batch else f" Your output is the normalised x {affine}." if affine else ""
        raise Fail(f"In test mode on a {n}x{d} batch (x = 3*randn + 5) with running_mean ~ randn and "
                   "running_var in [0.5, 2], out should be gamma * (x - running_mean) / sqrt(running_var "
                   f"[+ eps]) + beta: largest deviation {err:.2e} of the largest |out|, allowed "
                   f"{TEST_TOL:.0e}."
                   + detail,
                   hint="test_uses_batch_stats" if uses_batch else "missing_gamma_beta" if affine else "")
    after = _running_state(ctx, handle, d, "a test-mode call")
    changed = [k for k, a, b in zip(("running_mean", "running_var"), after, running, strict=True)
               if bm.norm_error(a, b) > 1e-12]
    if changed:
        raise Fail(f"Test mode changed bn_param[{changed[0]!r}]: before "
                   f"{_show(running[changed[0] == 'running_var'])}, "
                   f"after {_show(after[changed[0] == 'running_var'])}. The running averages are updated in "
                   "train mode only.", hint="test_updates_running")
    return Verdict(True, "Test mode normalises with the running mean and variance (eps accepted either way) "
                         "and leaves them unchanged.")
