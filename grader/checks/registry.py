"""The typed registry of checks: ``@check("area.name")`` registers, :func:`get` looks up.

An assignment refers to checks by these names. A duplicate name is refused at
import; an unknown one is answered with the closest names and the full list.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from grader.checks.context import CheckContext, Verdict

CheckFn = Callable[["CheckContext"], "Verdict"]

_CHECKS: dict[str, CheckFn] = {}


class UnknownCheck(LookupError):
    """No check registered under that name."""


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as the check ``name``."""

    def register(fn: CheckFn) -> CheckFn:
        if name in _CHECKS:
            raise ValueError(f"check {name!r} registered twice ({_CHECKS[name].__module__} and {fn.__module__})")
        _CHECKS[name] = fn
        return fn

    return register


def get(name: str) -> CheckFn:
    """The check registered as ``name``; :class:`UnknownCheck` with suggestions otherwise."""
    load_all()
    try:
        return _CHECKS[name]
    except KeyError:
        close = difflib.get_close_matches(name, _CHECKS, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise UnknownCheck(f"no check named {name!r}.{hint} Registered: {', '.join(sorted(_CHECKS))}") from None


def names() -> list[str]:
    load_all()
    return sorted(_CHECKS)


def load_all() -> None:
    """Import every check module so that its ``@check`` decorators run."""
    from grader.checks import (  # noqa: F401
        batchnorm_backward,
        batchnorm_forward,
        dropout_backward,
        dropout_forward,
        training,
    )
