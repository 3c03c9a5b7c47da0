"""Checks of ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)`` (and ``batchnorm_backward_alt``).

``params.function`` names the function under test, so the same two checks
grade the optional ``_alt`` version. The backward pass is always judged on the
cache of the student's *own* forward, whatever its layout (the template's
9-tuple, a 4- or 7-tuple, a dict):

- ``numeric_gradient``: dx, dgamma, dbeta equal central differences of the
  student's own forward, as the notebook's gradient check does;
- ``reference``: they equal the reference gradient, on small and larger batches.

Where the student's forward is wrong (its `out` differs from the reference, or
it raises, hangs or returns nothing), a backward that is right on the
template's 9-tuple cache, built here by the reference forward, is credited:
the forward's mistake costs points in the forward tests only. Where the
forward is right but the backward is right only on the template's cache, the
forward and backward disagree on the cache (hint ``backward_wrong_cache``).
Wrong gradients are matched against candidate formulas of known mistakes, computed here from the
same batch (grader/checks/support/batchnorm_candidates.py, the engine in candidates.py), to name
them; where none matches, the message says which of dx, dgamma, dbeta is wrong and where it first
differs. All inputs are seeded: no
verdict depends on luck.

The functions, the gradients' names and the template's cache layout are the ``batchnorm`` layer of
ex08's contract (reference/ex08/assignment.toml); the student's backward and the reference are called
through the kit's calls (grader/checks/kit/calls.py). The cases, the yardstick and the wording above
are ex08's own, pinned by its golden reports (docs/authoring.md says why the kit's generic checks do
not replace them).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from grader.checks.batchnorm_forward import FORWARD_RIGHT, OUT_TOL, student_forward
from grader.checks.kit import contract
from grader.checks.kit.calls import reference_backward, reference_forward, student_backward
from grader.checks.kit.contract import Layer
from grader.checks.registry import check
from grader.checks.support import batchnorm_candidates as bc
from grader.checks.support import batchnorm_math as bm
from grader.checks.support import candidates
from grader.checks.support.batchnorm_cases import Case, Grads, Miss, backward_cases
from grader.checks.support.context import CheckContext, Fail, Verdict, as_array, unkeepdims
from grader.sandbox.interface import Handle, NotData, SandboxError, StudentRaised

# Forward `out` within this of the reference counts as "your forward is right" (same bound as the
# train_output check in float64, so the two never disagree): correct forwards measure <= 2e-12.
FORWARD_MATCH_TOL = OUT_TOL[np.dtype(np.float64)]
# bm.norm_error of numerical against analytic gradients. Central differences with a step of 1e-4 of
# each column's std measured <= 8e-8 over 1,000 batches, also through a forward with the noisier
# E[x^2] - E[x]^2 variance; the smallest mistake on these cases (N - 1 in the variance term) is 6e-3.
NUMERIC_TOL = 1e-5
# bm.norm_error against the reference gradient: different correct formulas (staged, compact) agree
# to ~1e-14, and a correct forward's cache is within 1e-8 of the reference's. Missing eps changes dx
# by only 1e-7 on the notebook's batch (var ~25) - it passes there - but by >= 7e-3 on the
# small-variance batch, which is where it is caught.
REFERENCE_TOL = 1e-6
STEP = 1e-4  # numerical step, relative to each column's std

# (N, D, scale, offset, eps or None for the default): x = scale * randn + offset.
NUMERIC_CASES = ((4, 5, 5.0, 12.0, None), (6, 3, 0.01, 0.5, None))
REFERENCE_CASES = ((4, 5, 5.0, 12.0, None), (6, 3, 0.01, 0.5, None), (64, 32, 1.0, 0.0, 0.1),
                   (200, 10, 3.0, -4.0, None))


def _layer(ctx: CheckContext) -> Layer:
    """ex08's ``batchnorm`` layer (reference/ex08/assignment.toml): its functions, gradients and the
    template's cache layout, ``(out, x_norm, beta, gamma, x_minus_mean, ivar, sqrtvar, var, eps)``."""
    return contract.layer(ctx.assignment, "batchnorm")


def _inputs(case: Case) -> contract.Inputs:
    return contract.Inputs({"x": case.x, "gamma": case.gamma, "beta": case.beta, "bn_param": case.bn_param})


def _reference(ctx: CheckContext, case: Case) -> tuple[np.ndarray, Any, Grads]:
    """The reference forward's out and 9-tuple cache, and the reference gradients."""
    layer = _layer(ctx)
    out, cache = reference_forward(ctx, layer, _inputs(case))
    return out, cache, Grads(**reference_backward(ctx, layer, case.dout, cache))


def _call_backward(ctx: CheckContext, fn: str, case: Case, cache: Handle) -> Grads:
    """The student's (dx, dgamma, dbeta) from ``fn`` (batchnorm_backward or its _alt), each checked for type
    and shape."""
    n, d = case.x.shape
    got = student_backward(ctx, dataclasses.replace(_layer(ctx), backward=fn), case.dout, cache)
    return Grads(as_array(got["dx"], f"The dx returned by {fn}", (n, d)),
                 _param_grad(got["dgamma"], "dgamma", fn, n, d), _param_grad(got["dbeta"], "dbeta", fn, n, d))


def _param_grad(value: Any, name: str, fn: str, n: int, d: int) -> np.ndarray:
    if type(value) in (int, float) or (type(value) is np.ndarray and value.shape in ((n,), ())):
        got = f"shape {value.shape}" if type(value) is np.ndarray else "a single number"
        raise Fail(f"The {name} returned by {fn} is {got} for a batch of shape ({n}, {d}); expected shape "
                   f"({d},): it is summed over the wrong axis (or over all of them).", hint="wrong_axis")
    return as_array(unkeepdims(value, (d,)), f"The {name} returned by {fn}", (d,))


def _attempt(ctx: CheckContext, fn: str, case: Case, cache: Handle, target: Grads, tol: float,
             where: str) -> Miss | None:
    """None when the backward on ``cache`` matches ``target`` within ``tol``, else how it missed."""
    try:
        got = _call_backward(ctx, fn, case, cache)
    except (Fail, StudentRaised, NotData) as exc:
        return Miss(where, error=exc)
    if all(bm.norm_error(g, t) < tol for g, t in zip(got, target, strict=True)):
        return None
    return Miss(where, got=got, target=target)


def _own_forward(ctx: CheckContext, case: Case) -> tuple[np.ndarray, Handle] | str:
    """The student's forward out and a handle to its cache, or why there is none (in words)."""
    broken = ctx.shared.get("batchnorm_forward.broken")
    if broken:
        return f"did not work ({broken})"
    try:
        out, result = student_forward(ctx, case.x, case.gamma, case.beta, case.bn_param)
        return out, ctx.sandbox.item(result, 1)
    except Fail as exc:
        return f"gives no usable (out, cache) ({exc.message.rstrip('.')})"
    except StudentRaised as exc:
        return f"raised {exc.exc_type}"
    except SandboxError as exc:
        return f"did not work ({exc})"


def _numeric_of(ctx: CheckContext, case: Case, forward: Any, columnwise: bool) -> Grads | None:
    """Central-difference gradients of ``forward``; None when the student's forward fails on the way."""
    step = STEP * case.x.std(axis=0)
    try:
        return Grads(*bm.numeric_gradients(forward, case.x, case.gamma, case.beta, case.dout, step,
                                           columnwise))
    except (Fail, StudentRaised, NotData):
        return None


def _judge_case(ctx: CheckContext, case: Case, numeric: bool) -> str:
    """"" when right on the student's own cache; the reason when credited on the template's; else Fail."""
    fn, layer = ctx.params["function"], _layer(ctx)
    tol = NUMERIC_TOL if numeric else REFERENCE_TOL
    ref_out, ref_cache, ref_grads = _reference(ctx, case)
    forward_ok, why, cache = _forward_verdict(ctx, case, ref_out)
    target = _target(ctx, case, numeric, ref_grads)
    own_miss = None
    # The student's own cache is the yardstick only when their forward is right: a backward that merely
    # agrees with a wrong forward (say out = gamma * x + beta) earns nothing; it is judged on the
    # template's cache below instead.
    if forward_ok and cache is not None:
        own_miss = _attempt(ctx, fn, case, cache, target, tol, f"on the cache of your own {layer.forward}")
        if own_miss is None:
            return ""
    template_miss = _attempt(ctx, fn, case, ctx.sandbox.put(ref_cache), target, tol,
                             f"on the template's cache {layer.cache}")
    if template_miss is None:
        if forward_ok and own_miss is not None:
            raise Fail(f"On {case.label}, {fn} is wrong on the cache your own {layer.forward} returns "
                       f"({_summary(own_miss, tol)}), but correct on the template's cache {layer.cache}.",
                       hint="backward_wrong_cache")
        return why
    miss = own_miss if forward_ok and own_miss is not None else template_miss
    prefix = "" if forward_ok else (f"Your {layer.forward} {why}, so {fn} was checked on the "
                                    "template's cache. ")
    if miss.error is not None and getattr(miss.error, "hint", "") in ("", "returned_none"):
        _reject_alt_only(ctx, fn, case, ref_cache, ref_grads)  # no gradients: is the solution only in _alt?
    raise _explain(miss, case, fn, tol, prefix)


def _forward_verdict(ctx: CheckContext, case: Case, ref_out: np.ndarray) -> tuple[bool, str, Handle | None]:
    """(is the student's forward right, why not in words, a handle to its cache)."""
    forward = _own_forward(ctx, case)
    if isinstance(forward, str):
        return False, forward, None
    out, cache = forward
    err = bm.norm_error(out, ref_out)
    decided = ctx.shared.get(FORWARD_RIGHT)  # the train-output test's verdict, when it ran first
    forward_ok = decided if decided is not None else err < FORWARD_MATCH_TOL
    why = "" if forward_ok else f"returns an out that differs from the reference (by {err:.1e})"
    return forward_ok, why, cache


def _target(ctx: CheckContext, case: Case, numeric: bool, ref_grads: Grads) -> Grads:
    """The gradients to match: the reference's, or central differences of the *reference* forward.

    The student's forward is the same function when right, and a forward that replays its first
    output under perturbation cannot zero the target.
    """
    if not numeric:
        return ref_grads
    forward = getattr(ctx.reference, _layer(ctx).forward)
    reference = lambda x, g, b: forward(x, g, b, case.bn_param)[0]  # noqa: E731
    return _numeric_of(ctx, case, reference, columnwise=True) or ref_grads


def _summary(miss: Miss, tol: float) -> str:
    if miss.error is not None:
        if isinstance(miss.error, StudentRaised):
            return f"it raises {miss.error.exc_type}: {miss.error.message[:150]}"
        return str(getattr(miss.error, "message", miss.error)).rstrip(".")
    assert miss.got is not None and miss.target is not None
    errs = {n: bm.norm_error(g, t) for n, g, t in zip(Grads._fields, miss.got, miss.target, strict=True)}
    bad = [f"{n} off by {e:.1e}" for n, e in errs.items() if not e < tol]
    return ", ".join(bad)


def _explain(miss: Miss, case: Case, fn: str, tol: float, prefix: str) -> Exception:
    """What the student should read about ``miss``: their own exception, or a Fail with a hint."""
    if isinstance(miss.error, StudentRaised | NotData):
        return miss.error
    if isinstance(miss.error, Fail):
        return Fail(f"{prefix}On {case.label}, {miss.where}: {miss.error.message}", hint=miss.error.hint)
    assert miss.got is not None and miss.target is not None
    what = "the numerical gradient" if tol == NUMERIC_TOL else "the reference gradient"
    wrong = [n for n, g,
             t in zip(Grads._fields, miss.got, miss.target, strict=True) if not bm.norm_error(g, t) < tol]
    if not wrong:
        raise AssertionError("a miss without a wrong gradient")
    right = [n for n in Grads._fields if n not in wrong]
    v = bc.inputs(case.x, case.gamma, case.dout, case.eps_value)
    match = candidates.diagnose(fn, v, miss.got._asdict(), bc.correct(v), tol)
    # where the numbers first part matters only when no known mistake explains them
    details = "; ".join(_deviation(n, getattr(miss.got, n), getattr(miss.target, n), tol, what, match is None)
                        for n in wrong)
    first = wrong[0]
    message = (f"{prefix}On {case.label}, {miss.where}, the {_and(wrong)} of {fn} "
               f"{'differs' if len(wrong) == 1 else 'differ'} from {what}"
               f"{f' ({_and(right)} {_is(right)} right)' if right else ''}: {details} (allowed {tol:.0e}). "
               f"Expected {first} = {_show(getattr(miss.target, first))}, got "
               f"{_show(getattr(miss.got, first))}.")
    if match is None:
        return Fail(message)
    return Fail(f"{message} Your dx, dgamma and dbeta are exactly what a backward gives that "
                f"{match.candidate.what}.", hint=match.candidate.hint)


def _deviation(name: str, got: np.ndarray, want: np.ndarray, tol: float, what: str, where: bool) -> str:
    deviation = f"{name} by up to {bm.norm_error(got, want):.2e} of the largest |{name}|"
    return f"{deviation}, {candidates.where_it_differs(got, want, tol, against=what)}" if where else deviation


def _and(names: list[str]) -> str:
    return " and ".join(names)


def _is(names: list[str]) -> str:
    return "is" if len(names) == 1 else "are"


def _show(a: np.ndarray) -> str:
    flat = np.asarray(a).reshape(-1)
    return np.array2string(flat[:3], precision=4,
                           separator=", ").rstrip("]") + (", ...]" if flat.size > 3 else "]")


def _reject_alt_only(ctx: CheckContext, fn: str, case: Case, ref_cache: Any, ref_grads: Grads) -> None:
    """Fail with the alt_only hint when batchnorm_backward is wrong but batchnorm_backward_alt is right."""
    layer = _layer(ctx)
    alt = f"{layer.backward}_alt"  # the notebook's optional second backward, in ex08 only
    if fn != layer.backward or alt not in ctx.sandbox.functions():
        return
    caches = [ctx.sandbox.put(ref_cache)]
    forward = _own_forward(ctx, case)
    if not isinstance(forward, str):
        caches.append(forward[1])
    for cache in caches:
        if _attempt(ctx, alt, case, cache, ref_grads, REFERENCE_TOL, "") is None:
            raise Fail(f"On {case.label}, {fn} does not return the gradients, but {alt} does.",
                       hint="alt_only")


def _run(ctx: CheckContext, table: tuple[tuple[Any, ...], ...], numeric: bool) -> Verdict:
    fn, layer = ctx.params["function"], _layer(ctx)
    cases = backward_cases(ctx, table)
    credited = {case.label: why for case in cases if (why := _judge_case(ctx, case, numeric))}
    tol = NUMERIC_TOL if numeric else REFERENCE_TOL
    what = f"central-difference gradients of your {layer.forward}" if numeric else "the reference gradients"
    sizes = ", ".join(f"{c.x.shape[0]}x{c.x.shape[1]}" for c in cases)
    message = (f"dx, dgamma and dbeta of {fn} match {what} on {len(cases)} batches ({sizes}), within "
               f"{tol:.0e} of the largest entry.")
    if credited:
        why = next(iter(credited.values()))
        message += (f" Your {layer.forward} {why}, so on {len(credited)} of them {fn} was checked on the "
                    f"template's cache {layer.cache}, where it is correct.")
    elif numeric:
        message = message.replace("match", f"match, on the cache of your own {layer.forward},")
    return Verdict(True, message, data={"checked_on_template_cache": sorted(credited)})


@check("batchnorm_backward.numeric_gradient")
def numeric_gradient(ctx: CheckContext) -> Verdict:
    """dx, dgamma, dbeta equal central differences of the student's own forward (the notebook's check)."""
    return _run(ctx, NUMERIC_CASES, numeric=True)


@check("batchnorm_backward.reference")
def reference(ctx: CheckContext) -> Verdict:
    """dx, dgamma, dbeta equal the reference gradients on small and larger batches, default and custom eps."""
    return _run(ctx, REFERENCE_CASES, numeric=False)
