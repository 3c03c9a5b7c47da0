"""What a check receives (:class:`CheckContext`) and returns (:class:`Verdict`), and the helpers all checks
share.

A check is a function ``(ctx) -> Verdict``. It talks to the student's code only
through ``ctx.sandbox`` and compares against ``ctx.reference`` (the trusted
reference module). To fail early with a message, a check raises
:class:`Fail`; sandbox errors (the student's exception, a timeout, a crash,
something that is not plain data) propagate and the runner turns them into
the right status with a readable message.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from grader.assignments import Assignment, TestSpec
from grader.sandbox.interface import Fetched, Handle, Sandbox, StudentRaised


@dataclass
class Verdict:
    """The outcome of one check, before points are attached."""

    passed: bool
    """Whether the test passed."""
    message: str
    """What was checked, what was expected, what was measured."""
    hint: str = ""
    """Key of a recognised mistake in :data:`grader.feedback.HINTS`, or empty."""
    fraction: float | None = None
    """Share of the points earned; ``None`` means all when passed, none otherwise."""
    data: dict[str, Any] = field(default_factory=dict)
    """Machine-readable extras for the report (curves, measured values)."""


class Fail(Exception):
    """Raised by a check to fail its test with ``message`` (and optionally a recognised ``hint``)."""

    def __init__(self, message: str, hint: str = "", data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.data = data or {}


@dataclass
class CheckContext:
    """Everything a check may use."""

    sandbox: Sandbox
    """The student's module, behind the trust boundary."""
    reference: ModuleType
    """The trusted reference implementation (``reference/<id>/layers.py``)."""
    assignment: Assignment
    """The assignment being graded (conventions, timeouts)."""
    test: TestSpec
    """The test being run (its params)."""
    seed: int
    """This test's seed, derived from the grading seed and the test's name."""
    shared: dict[str, Any]
    """Per-submission memo shared by the checks (e.g. whether the student's forward is right)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Grader-level options (device, training data set) for the training checks."""

    @property
    def params(self) -> dict[str, Any]:
        return self.test.params

    def rng(self, *salt: object) -> np.random.Generator:
        """A judge-side generator, reproducible from the grading seed, independent per salt."""
        return np.random.default_rng([self.seed, *(_salt(s) for s in salt)])

    def student_seed(self, *salt: object) -> int:
        """A seed to hand to the student's side (``np.random.seed`` takes < 2**32)."""
        return int(self.rng("student-seed", *salt).integers(0, 2**32 - 1))


def fault_clause(exc: Exception) -> str:
    """Why a gate's call did not count, as a clause after "called ..., ": the failure or what the code
    raised."""
    if isinstance(exc, Fail):
        return exc.message[0].lower() + exc.message[1:].rstrip(".")
    if isinstance(exc, StudentRaised):
        where = f" at line {exc.line}" if exc.line else ""
        return f"it raised {exc.exc_type}{where}: {exc.message[:200]}"
    return f"it {exc}"


def derive_seed(grading_seed: int, test_name: str) -> int:
    """The seed of one test: a function of the grading seed and the test's name only."""
    return int(np.random.SeedSequence([grading_seed, _salt(test_name)]).generate_state(1)[0])


def _salt(s: object) -> int:
    return s if type(s) is int and s >= 0 else zlib.crc32(repr(s).encode())


# --- calling the student's side -------------------------------------------------------------------

Fetch = tuple[tuple[str, tuple[int | str, ...]], ...]
OUT: Fetch = (("get", (0,)),)
"""A forward pass: ``out`` decoded (``result[0]``)."""
OUT_AND_CACHE: Fetch = (("get", (0,)), ("item", (1,)))
"""A forward pass whose cache is needed: ``out`` decoded, ``cache`` left on the student's side as a handle."""
WHOLE: Fetch = (("get", ()),)
"""A backward pass: the whole result decoded."""


class Called:
    """A call's result handle, and the parts of the result asked for with it (:func:`call`)."""

    def __init__(self, sandbox: Sandbox, handle: Handle, fetch: Fetch, fetched: Fetched | None) -> None:
        self.sandbox, self.handle, self._fetch, self._fetched = sandbox, handle, fetch, fetched

    def take(self, index: int) -> Any:
        """The ``index``-th part of ``fetch``: what ``get``/``item`` gives, or raises, for it."""
        if self._fetched is not None:
            return self._fetched[index]
        op, path = self._fetch[index]  # it did not come back with the call: ask now
        return (self.sandbox.get if op == "get" else self.sandbox.item)(self.handle, *path)


def call(sandbox: Sandbox, function: str, fetch: Fetch, *args: Any, seed: int | None = None) -> Called:
    """Call ``function`` on the student's side and bring back the parts of its result in ``fetch``.

    One round trip where a call, then a ``get``/``item`` per part, took one each, with the same
    outcomes. A result of ``OUT``/``OUT_AND_CACHE`` is unpacked only when it is a tuple or list (the
    caller's ``expect_pair`` refuses anything else before looking inside); ``WHOLE`` always.
    """
    handle, fetched = sandbox.call_fetch(function, *args, fetch=fetch, sequence_only=fetch is not WHOLE,
                                         seed=seed)
    return Called(sandbox, handle, fetch, fetched)


# --- helpers that turn the student's return values into checked arrays --------------------------

def as_tuple(value: Any, length: int, what: str) -> tuple[Any, ...]:
    """``value`` as a tuple/list of ``length`` items, or :class:`Fail` explaining what came back."""
    if value is None:
        raise Fail(f"{what} returned None. Did you leave a TODO unfinished (or forget `return`)?",
                   hint="returned_none")
    if type(value) not in (tuple, list) or len(value) != length:
        got = f"a {type(value).__name__} of length {len(value)}" if type(value) in (tuple, list) \
            else f"a {type(value).__name__}"
        raise Fail(f"{what} should return a tuple of {length} values, but returned {got}.")
    return tuple(value)


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None,
             dtype: np.dtype | type | None = None) -> np.ndarray:
    """``value`` as an ndarray of the expected shape (and dtype, when given), or :class:`Fail`."""
    if value is None:
        raise Fail(f"{what} is None. Did you leave a TODO unfinished (or forget to assign it)?",
                   hint="returned_none")
    if type(value) is not np.ndarray:
        raise Fail(f"{what} should be a numpy array, but is a {type(value).__name__}.")
    if shape is not None and value.shape != tuple(shape):
        raise Fail(f"{what} should have shape {tuple(shape)}, but has shape {value.shape}.")
    if dtype is not None and value.dtype != np.dtype(dtype):
        raise Fail(f"{what} should have dtype {np.dtype(dtype)}, but has dtype {value.dtype}.")
    if value.dtype.kind == "c":
        raise Fail(f"{what} holds complex numbers; real floating-point numbers were expected.")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise Fail(f"{what} contains NaN or infinite values.")
    return value


def expect_pair(result: Handle, function: str, layout: str) -> None:
    """Fail unless the handle names a tuple or list (the student's ``(out, cache)``-like return)."""
    if result.type_name == "NoneType":
        raise Fail(f"{function} returned None. Did you leave a TODO unfinished (or forget `return`)?",
                   hint="returned_none")
    if result.type_name not in ("tuple", "list"):
        raise Fail(f"{function} should return a tuple {layout}, but returned a {result.type_name}.")


def unkeepdims(value: Any, shape: tuple[int, ...]) -> Any:
    """A (1, D) array where (D,) is due, as ``sum(axis=0, keepdims=True)`` gives, reshaped to (D,).

    The numbers are right and broadcast wherever gamma does (the notebook's rel_error accepts them
    too); anything else is returned unchanged for :func:`as_array` to judge.
    """
    if len(shape) == 1 and type(value) is np.ndarray and value.shape == (1, *shape):
        return value.reshape(shape)
    return value


def rel_error(x: np.ndarray, y: np.ndarray) -> float:
    """The course's relative error: max |x - y| / max(1e-8, |x| + |y|), elementwise."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
