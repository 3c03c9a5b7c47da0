"""Property checks of ``dropout_forward``, and the gate they require.

A property (prints nothing, seeding, test mode is the identity, input not modified,
works for any number of dimensions) also holds for code that does nothing: the identity,
or ``return x, None``. So each of these tests pays only once ``dropout_forward`` does
recognisably its job, as the gate :func:`drops_units` decides (once per submission):
in train mode on a 2-D input, some units are zeroed and every other unit is x times one
common factor. Whether that factor and the share dropped are right is for the tests of
:mod:`grader.checks.dropout_forward`; a wrong one still opens the gate.

Statistical notes: the gate fails a correct implementation only when its mask keeps all
or none of 2,000 units (probability below 1e-300); the other checks are deterministic for
correct code except for chance collisions bounded in docs/statistics.md.
"""

from __future__ import annotations

import numpy as np

from grader.checks.dropout_samples import (
    GATE_CASE,
    INPUT_CASES,
    SEED_CASES,
    SHAPE_CASES,
    TEST_MODE_CASES,
    Case,
    common_scale,
    constant_axis,
    forward_out,
    make_input,
    shape_text,
    student_p,
)
from grader.checks.registry import check, gate
from grader.checks.support.context import CheckContext, Fail, Verdict, fault_clause
from grader.sandbox.interface import MissingFunction, NotData
from grader.sandbox.judge import OUTPUT_CAP as OUTPUT_SHOWN

# Judged by the gate: an unusable return value. The student's exception, a hang or a crash propagate, so the
# gated tests end as the other tests of the function do (error, timeout).
STUDENT_FAULTS = (Fail, MissingFunction, NotData)


@gate("dropout_forward.drops_units")
def drops_units(ctx: CheckContext) -> str | None:
    """in train mode on a 40x50 input it zeroes some units and scales every other one by one common factor."""
    x = make_input(ctx.rng("gate"), GATE_CASE)
    p = student_p(ctx, GATE_CASE.q)
    try:
        out = forward_out(ctx, x, {"mode": "train", "p": p}, ctx.student_seed("gate"), GATE_CASE.shape)
    except STUDENT_FAULTS as exc:
        return f"called in train mode with p = {p:g} on a 40x50 input, {fault_clause(exc)}"
    return _not_dropout(out, x, f"in train mode with p = {p:g} on a 40x50 input")


def _not_dropout(out: np.ndarray, x: np.ndarray, where: str) -> str | None:
    """Why ``out`` is no dropout of ``x`` (all kept, all dropped, kept units not x times one factor), or
    None."""
    dropped = int(np.count_nonzero(out == 0))
    if dropped == 0:
        return f"{where} it zeroes no unit"
    if dropped == out.size:
        return f"{where} it zeroes every unit"
    scale = common_scale(out, x)
    if scale is None or scale <= 0:
        return f"{where} the units it keeps are not the input times one common positive factor"
    return None


@check("dropout_forward.any_shape")
def any_shape(ctx: CheckContext) -> Verdict:
    """On 1-D and 3-D to 5-D inputs, train mode returns a dropout of x of x's shape and test mode x's shape.

    Only the shape and that units are dropped are judged here; the share dropped and the scale are
    the 2-D tests' business, so a wrong scale costs its own test only.
    """
    try:
        _any_shape_cases(ctx)
    except Fail as exc:
        if exc.hint != "drop_rows":
            raise
        # The mask has the shape of a row or column, not of x: one mistake, already charged by the fraction
        # test (whole rows or columns dropped); fixing it (np.random.rand(*x.shape)) fixes both.
        return Verdict(True,
                       f"Not judged again: {exc.message} The fraction test costs this mask's shape, once.",
                       data={"charged_by": "dropout_forward.fraction_dropped"})
    return Verdict(True,
                   "dropout_forward returns an output of x's shape, with units dropped, for 1-D and 3-D to "
                         "5-D inputs (float32 and float64), in train and test mode.")


def _any_shape_cases(ctx: CheckContext) -> None:
    for i, case in enumerate(SHAPE_CASES):
        x = make_input(ctx.rng("any-shape", i), case)
        p = student_p(ctx, case.q)
        for mode in ("train", "test"):
            try:
                out = forward_out(ctx, x, {"mode": mode, "p": p}, ctx.student_seed("any-shape", i, mode),
                                  case.shape)
            except Fail as exc:
                raise Fail(f"In {mode} mode: {exc.message}",
                           hint=_rows_hint(ctx) or exc.hint) from None
            why = _not_dropout(out, x, f"in train mode on a {len(case.shape)}-D input of shape {case.shape},")
            if mode == "train" and why:
                raise Fail(f"dropout_forward works on 2-D input, but {why}: x can have any number of "
                           "dimensions, and every unit is dropped independently.",
                           hint=_rows_hint(ctx) or "two_d_only")


def _rows_hint(ctx: CheckContext) -> str:
    """``drop_rows`` when the 2-D gate input saw whole rows or columns dropped (the mask has a row's
    shape)."""
    x = make_input(ctx.rng("gate"), GATE_CASE)
    try:
        out = forward_out(ctx, x, {"mode": "train", "p": student_p(ctx, GATE_CASE.q)},
                          ctx.student_seed("gate"), GATE_CASE.shape)
    except STUDENT_FAULTS:
        return ""
    return "drop_rows" if constant_axis(out == 0) is not None else ""


@check("dropout_forward.seeding")
def seeding(ctx: CheckContext) -> Verdict:
    """The same dropout_param['seed'] gives the same mask, another seed another, no seed fresh masks."""
    for i, case in enumerate(SEED_CASES):
        x = make_input(ctx.rng("seeding", i), case)
        p = student_p(ctx, case.q)
        seeds = ctx.rng("param-seeds", i).choice(100_000, size=2, replace=False)

        def mask(seed: int | None, param_seed: object = None, x: np.ndarray = x, p: float = p,
                 shape: tuple[int, ...] = case.shape) -> np.ndarray:
            param = {"mode": "train", "p": p} | ({} if param_seed is None else {"seed": int(param_seed)})  # type: ignore[call-overload]
            return forward_out(ctx, x, param, seed, shape) == 0

        first = mask(ctx.student_seed("seeding", i, 1), seeds[0])
        again = mask(ctx.student_seed("seeding", i, 2), seeds[0])  # other global state before the call
        if not np.array_equal(first, again):
            raise Fail(f"Two calls with the same dropout_param['seed'] = {seeds[0]} (p = {p:g}, a "
                       f"{shape_text(case.shape)} input) dropped different units. When a seed is given, call "
                       "np.random.seed(dropout_param['seed']) before drawing the mask.")
        if np.array_equal(first, mask(ctx.student_seed("seeding", i, 3), seeds[1])):
            raise Fail(f"dropout_param['seed'] = {seeds[0]} and {seeds[1]} gave the same mask: the mask "
                       "must depend on the seed.")
        unseeded = mask(ctx.student_seed("seeding", i, 4))
        if np.array_equal(unseeded, mask(None)):  # the child's generator simply continues
            raise Fail(f"Two calls without a seed (p = {p:g}, a {shape_text(case.shape)} input) dropped the "
                       "same units. "
                       "Without 'seed' in dropout_param, every call must draw a fresh mask: do not seed "
                       "the generator with a fixed value.")
    return Verdict(True, "The same seed gives the same mask, different seeds different masks, and calls "
                         "without a seed draw fresh masks.")


@check("dropout_forward.test_mode")
def test_mode(ctx: CheckContext) -> Verdict:
    """Test mode returns the input unchanged (same values, same dtype), with or without a seed."""
    rng = ctx.rng("test-mode")
    for i, case in enumerate(TEST_MODE_CASES):
        x = make_input(rng, case)
        p = student_p(ctx, case.q)
        param = {"mode": "test", "p": p} | ({"seed": 7} if i % 2 else {})
        out = forward_out(ctx, x, param, ctx.student_seed("test-mode", i), case.shape)
        if out.dtype != x.dtype or not np.array_equal(out, x):
            message, hint = _test_mode_difference(x, out)
            raise Fail(f"In test mode (p = {p:g}, a {shape_text(case.shape)} {case.dtype} input) out must be "
                       "x "
                       "unchanged, "
                       f"but {message}", hint=hint)
    return Verdict(True, "Test mode returns the input unchanged.")


def _test_mode_difference(x: np.ndarray, out: np.ndarray) -> tuple[str, str]:
    if out.dtype != x.dtype and np.array_equal(out.astype(np.float64), x.astype(np.float64)):
        return f"it has dtype {out.dtype} instead of {x.dtype}.", "output_dtype"
    zeros = int(np.count_nonzero(out == 0))
    if zeros:
        return f"{zeros} of {x.size} units are zero: test mode must not apply a mask.", "scaled_at_test"
    ratios = out.astype(np.float64) / x.astype(np.float64)
    if np.allclose(ratios, ratios.flat[0], rtol=1e-5):
        return f"it is x times {ratios.flat[0]:.6g}: test mode must not scale.", "scaled_at_test"
    return f"it differs from x by up to {np.max(np.abs(out - x)):.3g}.", ""


@check("dropout_forward.input_unchanged")
def input_unchanged(ctx: CheckContext) -> Verdict:
    """dropout_forward leaves the caller's x as it was, in train and test mode."""
    rng = ctx.rng("input")
    for i, (case, mode) in enumerate(INPUT_CASES):
        x = make_input(rng, case)
        handle = ctx.sandbox.put(x)  # the student's function gets this very array, not a copy
        forward_out(ctx, handle, {"mode": mode, "p": student_p(ctx, case.q)}, ctx.student_seed("input", i),
                    case.shape)
        after = ctx.sandbox.get(handle)
        if type(after) is not np.ndarray or after.shape != x.shape or after.dtype != x.dtype:
            raise Fail(f"In {mode} mode, dropout_forward changed the input array itself (its shape, dtype "
                       "or type), not only a copy of it.", hint="input_modified")
        if not np.array_equal(after, x):
            changed = int(np.count_nonzero(after != x))
            raise Fail(f"In {mode} mode, dropout_forward changed {changed} of the {x.size} values of the "
                       "input "
                       "array it was given.", hint="input_modified")
    return Verdict(True, "The input array is left unchanged in train and test mode.")


@check("dropout_forward.quiet")
def quiet(ctx: CheckContext) -> Verdict:
    """dropout_forward prints nothing (leftover debugging prints flood the output of every caller)."""
    before = ctx.sandbox.output()
    # already full: new prints could not be seen, and the flood is a leftover
    if len(before) >= OUTPUT_SHOWN or "[output truncated" in before:
        raise Fail(f"Your code had printed over {OUTPUT_SHOWN // 1024} KiB before this test (see the output "
                   "below the tests), so whether dropout_forward prints could not be checked.",
                   hint="leftover_print")
    case = Case((6, 7), 0.3)
    x = make_input(ctx.rng("quiet"), case)
    for i, mode in enumerate(("train", "test")):
        forward_out(ctx, x, {"mode": mode, "p": student_p(ctx, case.q)}, ctx.student_seed("quiet", i),
                    case.shape)
    printed = ctx.sandbox.output()[len(before):]
    if printed:
        shown = printed[:200] + ("..." if len(printed) > 200 else "")
        raise Fail(f"dropout_forward printed output when called (two calls printed {len(printed)} "
                   f"characters or more, starting with: {shown!r}).", hint="leftover_print")
    return Verdict(True, "dropout_forward prints nothing.")
