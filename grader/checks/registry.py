"""The typed registry of checks and gates: ``@check("area.name")`` and ``@gate("function.name")`` register.

An assignment refers to checks (and to the gates its property tests require) by these names. The
registry imports no check module: :mod:`grader.checks.loader` imports them, and then freezes the
registry, so nothing registers after start-up. A duplicate name is refused; an unknown one is
answered with the closest names and the full list.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from grader.checks.support.context import CheckContext, Verdict

CheckFn = Callable[["CheckContext"], "Verdict"]
GateFn = Callable[["CheckContext"], "str | None"]
"""A gate says whether a function does recognisably its job: None when it does, else why not (in words)."""

F = TypeVar("F", bound=Callable[..., object])


class UnknownCheck(LookupError):
    """No check (or gate) registered under that name."""


class RegistryFrozen(RuntimeError):
    """A registration after start-up: every check module is imported by the loader, once."""


class Registry(Generic[F]):
    """Named functions of one kind; refuses duplicates, suggests close names, frozen after loading."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, F] = {}
        self.frozen = False

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator: register the function as ``name``."""

        def register(fn: F) -> F:
            if self.frozen:
                raise RegistryFrozen(f"{self.kind} {name!r} registered after start-up ({fn.__module__}); "
                                     "add its module to grader/checks/loader.py instead")
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} registered twice "
                                 f"({self._items[name].__module__} and {fn.__module__})")
            self._items[name] = fn
            return fn

        return register

    def get(self, name: str) -> F:
        """The function registered as ``name``; :class:`UnknownCheck` with suggestions otherwise."""
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._items, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            loaded = "" if self.frozen else " (the checks are not loaded: call grader.checks.loader.load())"
            raise UnknownCheck(f"no {self.kind} named {name!r}.{hint} Registered: "
                               f"{', '.join(sorted(self._items))}{loaded}") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def freeze(self) -> None:
        self.frozen = True


CHECKS: Registry[CheckFn] = Registry("check")
GATES: Registry[GateFn] = Registry("gate")


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as the check ``name``."""
    return CHECKS.register(name)


def gate(name: str) -> Callable[[GateFn], GateFn]:
    """Register the decorated function as the gate ``name`` (see :data:`GateFn`)."""
    return GATES.register(name)


def get(name: str) -> CheckFn:
    """The check registered as ``name``."""
    return CHECKS.get(name)


def get_gate(name: str) -> GateFn:
    """The gate registered as ``name``."""
    return GATES.get(name)


def names() -> list[str]:
    """Every registered check name, sorted."""
    return CHECKS.names()


def freeze() -> None:
    """Refuse any further registration (the loader calls this once every check module is imported)."""
    CHECKS.freeze()
    GATES.freeze()
