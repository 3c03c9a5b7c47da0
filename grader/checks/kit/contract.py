"""A layer exercise's contract, read from the assignment's data: layers, cases and known mistakes.

Nothing here talks to the student: it turns ``[layers.<name>]`` and ``[[mistakes]]`` into
:class:`Layer`, :class:`Case` and :class:`Mistake`, draws a case's inputs from a seeded generator,
and looks up a mistake's model in the exercise's ``mistakes.py``.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.assignments import Assignment


@dataclass(frozen=True)
class Case:
    """One set of argument shapes and parameters, chosen so that one property of the layer shows."""

    name: str
    """Key in ``[layers.<layer>.cases]``."""
    shows: str
    """What the case exercises, in words (stride 2, H != W, ...)."""
    arrays: dict[str, Any]
    """Argument name -> array spec: a shape, or a table with ``shape`` and optional ``scale``,
    ``offset``, ``positive`` (uniform on [0.5, 2]), ``distinct`` (well-separated values: no ties)."""
    param: dict[str, Any]
    """The param dict handed to the forward; a value that is a table with ``shape`` is an array spec."""
    backward: bool = True
    """Whether the backward is checked on this case (not for a test-mode case)."""


@dataclass(frozen=True)
class Layer:
    """A forward/backward pair of functions and what their arguments and results are."""

    name: str
    forward: str
    """Name of the forward function in the student's file."""
    backward: str
    """Name of the backward function."""
    arguments: tuple[str, ...]
    """The forward's arguments, in order: arrays first, the param dict last."""
    gradients: dict[str, str]
    """What the backward returns, in order: gradient name -> the argument it differentiates."""
    cache: str
    """The layout of the reference's cache, for messages (the backward is judged on it when the
    student's forward is wrong)."""
    cases: dict[str, Case]
    """The cases the kit's generic checks run on; none for a layer whose contract only drives an exercise's
    own checks (ex08's: its cases and judging are its own, see docs/authoring.md)."""
    numeric_step: float = 1e-6
    """Step of the central differences of ``kit.numeric_gradient``."""
    ties_at_zero: bool = False
    """Inputs that are 0 may tie (max pooling after a ReLU): training compares gradients only where the input
    is not 0, since any split among tied zeros is right."""

    @property
    def param_name(self) -> str:
        return self.arguments[-1]

    def describe(self, case: Case, inputs: Inputs) -> str:
        """The case in words, with its shapes and parameters, e.g. for messages."""
        shapes = ", ".join(f"{a} {tuple(np.shape(inputs.values[a]))}" for a in self.arguments[:-1])
        plain = {k: v for k, v in case.param.items() if not isinstance(v, dict)}
        return f'the case "{case.shows}" ({shapes}, {self.param_name} {plain})'


@dataclass(frozen=True)
class Mistake:
    """A known mistake: which function makes it, its model, its hint, and where it is charged."""

    hint: str
    function: str
    model: str
    """Name of the function in the exercise's ``mistakes.py``: a forward model returns ``out``, a
    backward model a dict of the gradients it changes."""
    charged_in: tuple[str, ...]
    """Cases where it costs points; in the other cases matching its model is not charged again."""
    text: str = ""
    """The hint shown to the student."""
    what: str = ""
    """What the code does wrong, as a clause ("flips the kernel")."""


@dataclass
class Inputs:
    """A case's inputs, drawn once: fresh copies for every call (the functions may mutate the param)."""

    values: dict[str, Any] = field(default_factory=dict)

    def args(self, layer: Layer) -> list[Any]:
        return [copy.deepcopy(self.values[a]) for a in layer.arguments]

    def kwargs(self) -> dict[str, Any]:
        return copy.deepcopy(self.values)


def layer(assignment: Assignment, name: str) -> Layer:
    """The layer ``name`` of the assignment's contract."""
    raw = assignment.kit.get("layers", {}).get(name)
    if raw is None:
        raise KeyError(f"assignment {assignment.id!r} has no layer {name!r} (its [layers.*] tables: "
                       f"{', '.join(assignment.kit.get('layers', {}))})")
    cases = {key: _case(key, c, raw["arguments"]) for key, c in raw.get("cases", {}).items()}
    return Layer(name=name, forward=raw["forward"], backward=raw["backward"],
                 arguments=tuple(raw["arguments"]), gradients=dict(raw["gradients"]),
                 cache=raw.get("cache", "the reference's cache"), cases=cases,
                 numeric_step=float(raw.get("numeric_step", 1e-6)),
                 ties_at_zero=bool(raw.get("ties_at_zero", False)))


def layers(assignment: Assignment) -> list[Layer]:
    return [layer(assignment, name) for name in assignment.kit.get("layers", {})]


def _case(name: str, raw: dict[str, Any], arguments: list[str]) -> Case:
    missing = [a for a in arguments if a not in raw]
    if missing:
        raise ValueError(f"case {name!r} does not give {', '.join(missing)}")
    *arrays, param = arguments
    return Case(name=name, shows=raw.get("shows", name), arrays={a: raw[a] for a in arrays},
                param=dict(raw[param]), backward=bool(raw.get("backward", True)))


def mistakes(assignment: Assignment, function: str | None = None) -> list[Mistake]:
    """The assignment's known mistakes (of ``function`` only, when given)."""
    found = [Mistake(hint=m["hint"], function=m["function"], model=m["model"],
                     charged_in=tuple(m.get("charged_in", ())), text=m.get("text", ""),
                     what=m.get("what", ""))
             for m in assignment.kit.get("mistakes", [])]
    return [m for m in found if function is None or m.function == function]


def draw(layer: Layer, case: Case, rng: np.random.Generator) -> Inputs:
    """The case's inputs, drawn from ``rng``."""
    values: dict[str, Any] = {a: _array(spec, rng) for a, spec in case.arrays.items()}
    values[layer.param_name] = {k: _array(v, rng) if isinstance(v, dict) else v for k,
                                v in case.param.items()}
    return Inputs(values)


def _array(spec: Any, rng: np.random.Generator) -> np.ndarray:
    table = spec if isinstance(spec, dict) else {"shape": spec}
    shape = tuple(table["shape"])
    if table.get("positive"):
        return rng.uniform(0.5, 2.0, shape)
    if table.get("distinct"):  # spaced 4 / size apart: no ties, and no maximum moves under a small step
        size = int(np.prod(shape))
        values = rng.permutation(size).reshape(shape) * (4.0 / size) - 2.0
        return values + rng.uniform(0, 0.1 / size, shape)
    return rng.standard_normal(shape) * float(table.get("scale", 1.0)) + float(table.get("offset", 0.0))


def model(assignment: Assignment, mistake: Mistake) -> Callable[..., Any]:
    """The mistake's model, from the exercise's ``mistakes.py`` (next to its reference ``layers.py``)."""
    module = importlib.import_module(assignment.reference_module.rsplit(".", 1)[0] + ".mistakes")
    return getattr(module, mistake.model)  # type: ignore[no-any-return]


def tests_of_case(assignment: Assignment, check: str, case: str, tag: str) -> list[str]:
    """Names of the assignment's tests running ``check`` on ``case`` for the function ``tag``."""
    return [t.name for t in assignment.tests
            if t.check == check and t.tag == tag and case in t.params.get("cases", ())]
