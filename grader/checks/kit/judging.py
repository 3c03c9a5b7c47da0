"""How the kit compares a student's array with the expected one, and names or forgives a known mistake.

One rule, used for outputs and gradients alike: the value passes when it is within the tolerance of
the reference's; when it is not, but it is what a known mistake's model gives, the mistake is
charged only in the cases its ``charged_in`` names (a Fail with its hint there), and elsewhere the
case is not charged again (a note). Anything else fails with the measured deviation.

"What a known mistake's model gives" is the rule ex08's candidate engine names its mistakes by, one
implementation for both (:func:`grader.checks.support.matching.match_distance`): the model is apart
from the reference by more than the tolerance, and the value is within the tolerance of the model
and within 1% of the model's own distance from the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks.kit.contract import Case, Mistake
from grader.checks.support.candidates import where_it_differs
from grader.checks.support.context import Fail, as_array, unkeepdims
from grader.checks.support.matching import match_distance, norm_error

Candidate = tuple[Mistake, Callable[[], Any]]
"""A known mistake and a function computing, on demand, the value its model gives for this case."""


def floats(value: Any, what: str) -> np.ndarray:
    """``value`` as a finite float array (any shape: the shape is judged against the expected value)."""
    array = as_array(value, what[0].upper() + what[1:])
    if array.dtype.kind not in "fiu":
        raise Fail(f"{what[0].upper() + what[1:]} should hold floating-point numbers, but has dtype "
                   f"{array.dtype}.")
    return array


def close(got: np.ndarray, want: np.ndarray, tol: float) -> bool:
    return got.shape == want.shape and norm_error(got, want) < tol


def is_mistake(got: np.ndarray, modelled: Any, want: np.ndarray, tol: float) -> bool:
    """``got`` is a mistake's value ``modelled``, and not the reference's ``want``, by the one naming rule."""
    return match_distance({"value": got}, {"value": modelled}, {"value": want}, tol) is not None


def judge(got: Any, want: np.ndarray, *, what: str, case: Case, where: str, tol: float,
          candidates: list[Candidate], charged_in: Callable[[Mistake], str]) -> str:
    """"" when ``got`` is right; a note when it is a mistake charged in another test; else :class:`Fail`."""
    got = floats(unkeepdims(got, want.shape), what)
    if close(got, want, tol):
        return ""
    for mistake, value in candidates:
        modelled = _modelled(value)
        if modelled is None or not is_mistake(got, modelled, want, tol):
            continue
        if case.name in mistake.charged_in or "*" in mistake.charged_in:
            raise Fail(f"{_deviation(got, want, what, where, tol)} It is exactly what code that "
                       f"{mistake.what} "
                       "gives.", hint=mistake.hint)
        return (f"on the case \"{case.shows}\", {what} is what code that {mistake.what} gives; that mistake "
                "is charged in "
                f"{charged_in(mistake)}, not again here")
    raise Fail(_deviation(got, want, what, where, tol))


def _modelled(value: Callable[[], Any]) -> np.ndarray | None:
    try:
        result = value()
    except Exception:  # a model that does not apply to this case (an impossible shape): no match
        return None
    return None if result is None else np.asarray(result, dtype=np.float64)


def _deviation(got: np.ndarray, want: np.ndarray, what: str, where: str, tol: float) -> str:
    if got.shape != want.shape:
        return f"On {where}, {what} has shape {got.shape}; expected {want.shape}."
    return (f"On {where}, {what} differs from the reference: largest deviation {norm_error(got, want):.2e} "
            "of "
            f"the largest entry, allowed {tol:.0e}, {where_it_differs(got, want, tol)}.")

