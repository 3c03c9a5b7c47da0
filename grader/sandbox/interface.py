"""What the checks see of the student's code: one small interface, and the ways a call can end.

The checks never touch the student's module. They ask a :class:`Sandbox` to
*put* plain data on the student's side, to *call* a function by name there, and
to *get* plain data back. Whatever cannot cross as plain data (a batch-norm
``cache`` that holds student objects, the return value of a call) stays on the
student's side and is named by a :class:`Handle`.

Only these cross the boundary, in both directions: ``np.ndarray`` of exactly
that type with a numeric or bool dtype, ``None``, ``bool``, ``int``, ``float``
and ``str`` of exactly those types, and tuples, lists and str-keyed dicts of
them. The judge's decoder builds nothing else, so an ndarray subclass, an
object array, a float subclass or an object with its own ``__eq__`` can never
reach a comparison: :meth:`Sandbox.get` raises :class:`NotData` instead.
NumPy scalars (``np.float64(1.0)``) are converted to the matching Python
number on the student's side, because ordinary numpy code produces them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Handle:
    """A reference to an object that lives on the student's side."""

    id: int
    """Key in the child's object table; valid until the child dies."""
    type_name: str
    """The object's type name as the child reported it: untrusted, for messages only."""
    generation: int = 0
    """Which child made it; a handle from a dead child raises :class:`StaleHandle`."""


class SandboxError(Exception):
    """Base of everything a sandboxed call can end with other than a value."""


class ImportFailed(SandboxError):
    """The submission did not import: a syntax, indentation or import-time error."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class MissingFunction(SandboxError):
    """The module has no callable of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"`{name}` is not defined in your layers.py")
        self.name = name


class StudentRaised(SandboxError):
    """The student's function raised an exception."""

    def __init__(self, exc_type: str, message: str, traceback: str = "", line: int | None = None,
                 bases: tuple[str, ...] = ()) -> None:
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback
        self.line = line
        self.bases = bases or (exc_type,)
        """Names of the exception's classes, its own first (as the child reported them)."""

    def is_a(self, name: str) -> bool:
        """Whether the exception is (a subclass of) the built-in exception ``name``."""
        return name in self.bases


class CallTimedOut(SandboxError):
    """The call ran past its wall-clock limit; the child was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"did not return within {seconds:g} s")
        self.seconds = seconds


class ChildDied(SandboxError):
    """The child process ended during a call (a crash, a limit, ``os._exit``, a kill)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotData(SandboxError):
    """The value asked for is not plain data (see the module docstring)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class StaleHandle(SandboxError):
    """A handle from a child that has since died was used."""


class SandboxUnavailable(SandboxError):
    """Ours, not the student's: the host cannot confine a child as required, or the lock-down failed.

    Raised by ``SandboxFactory()`` when the minimum (a separate process, rlimits,
    seccomp) is missing and ``insecure`` was not asked for, and by a sandbox
    whose child could not lock itself down. An internal error: retry elsewhere.
    """


class Fetched:
    """What a :meth:`Sandbox.call_fetch` brought back with the call: one outcome per ``get`` or ``item``
    asked for.

    ``fetched[i]`` returns what the separate :meth:`Sandbox.get` or :meth:`Sandbox.item` would have
    returned, or raises what it would have raised (:class:`NotData`).
    """

    def __init__(self, outcomes: list[Any]) -> None:
        self._outcomes = outcomes

    def __getitem__(self, index: int) -> Any:
        outcome = self._outcomes[index]
        if isinstance(outcome, SandboxError):
            raise outcome
        return outcome

    def __len__(self) -> int:
        return len(self._outcomes)


class Sandbox(Protocol):
    """The student's module, loaded on the other side of the trust boundary.

    A sandbox that lost its child (timeout, crash) starts a fresh one on the
    next call, with the module imported anew; handles made before are stale.
    """

    def put(self, value: Any) -> Handle:
        """Store plain data on the student's side; returns its handle."""
        ...

    def call(self, function: str, *args: Any, seed: int | None = None, timeout: float | None = None,
             **kwargs: Any) -> Handle:
        """Call ``function(*args, **kwargs)`` in the student's module; returns a handle to the result.

        Arguments are plain data or handles (resolved on the student's side, so a
        dict passed as a handle can be mutated there and read back with
        :meth:`get`). When ``seed`` is given, ``np.random.seed(seed)`` runs
        first on the student's side, which makes the call reproducible.
        """
        ...

    def call_fetch(self, function: str, *args: Any, fetch: Sequence[tuple[str, tuple[int | str, ...]]],
                   sequence_only: bool = False, seed: int | None = None, timeout: float | None = None,
                   **kwargs: Any) -> tuple[Handle, Fetched | None]:
        """:meth:`call`, with a ``get`` or ``item`` of its result per ``(op, path)`` of ``fetch``, in one
        round trip.

        The same as calling, then asking for each of ``fetch`` in turn, with one message each way
        instead of one per request: the training checks make hundreds of such calls per run. With
        ``sequence_only``, the fetches are answered only when the result is a tuple or list
        (otherwise ``None`` comes back with the handle), so nothing of a result the caller would
        refuse is touched.
        """
        ...

    def get(self, handle: Handle, *path: int | str) -> Any:
        """Decode the object behind ``handle`` (or ``handle[p0][p1]...``) as plain data."""
        ...

    def item(self, handle: Handle, *path: int | str) -> Handle:
        """A handle to ``handle[p0][p1]...`` without decoding it."""
        ...

    def functions(self) -> frozenset[str]:
        """Names of the callables the student's module defines at top level."""
        ...

    def output(self) -> str:
        """What the student's code printed so far (stdout and stderr, capped)."""
        ...

    def close(self) -> None:
        """Kill the child and release everything."""
        ...
