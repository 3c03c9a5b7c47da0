"""One file's source as the normalised token streams of its units (each function, and the module's own code).

What no longer matters afterwards: comments, blank lines and formatting (the syntax tree
has none), names the student chose (``tokens``), equivalent spellings (``spellings``),
dead code and the order of independent statements (``statements``), the order of the
functions (each is a unit of its own), and helper functions nothing calls.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from grader.similarity.spellings import Spellings
from grader.similarity.statements import canonical_order, clean, drop_dead_stores
from grader.similarity.tokens import Namer, Token

MODULE = "<module>"
Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class Unit:
    """A function (or the module's own statements) as normalised tokens."""

    name: str
    """The function's name as written (``<module>`` for the rest); the name itself is not compared."""
    tokens: tuple[Token, ...]
    """Pre-order tokens of the normalised tree, each with its source line."""


def units(source: str, *, keep: frozenset[str] = frozenset(),
          drop: frozenset[str] = frozenset()) -> list[Unit]:
    """The normalised units of ``source`` (raises SyntaxError).

    ``keep``: functions the assignment asks for (kept even when nothing in the file calls them);
    ``drop``: functions the assignment hands out whole, left out. With ``keep`` empty every
    function is kept.
    """
    tree = ast.parse(source)
    numpy = _numpy_aliases(tree)
    namer = Namer(numpy)
    spellings = Spellings(set(numpy), namer.key)
    functions, rest = _split(tree.body)
    helpers = keep and any(f.name not in keep and f.name not in drop for f in functions)
    called = _referenced(tree, [f for f in functions if f.name not in drop]) if helpers else set()
    out = []
    for function in functions:
        if function.name in drop or (keep and function.name not in keep and function.name not in called):
            continue  # handed out whole, or a helper nothing calls: dead code
        function = spellings.visit(function)
        out.append(_unit(function.name, _normalised(function, numpy, namer), namer))
    rest = [spellings.visit(s) for s in rest]
    module = ast.Module(body=canonical_order(clean(rest), numpy, namer.key), type_ignores=[])
    if module.body:
        out.append(_unit(MODULE, module, namer))
    return out


def _normalised(function: Function, numpy: frozenset[str], namer: Namer) -> Function:
    function.body = clean(function.body)
    drop_dead_stores(function, numpy)
    function.body = canonical_order(function.body, numpy, namer.key)
    function.decorator_list = []
    function.returns = None
    for arg in ast.walk(function.args):
        if isinstance(arg, ast.arg):
            arg.annotation = None
    return function


def _unit(name: str, node: ast.AST, namer: Namer) -> Unit:
    return Unit(name, tuple(namer.tokens(node)))


def _split(body: list[ast.stmt]) -> tuple[list[Function], list[ast.stmt]]:
    """Top-level functions (methods of top-level classes too) and the module's other statements, imports
    aside."""
    functions: list[Function] = []
    rest: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append(stmt)
        elif isinstance(stmt, ast.ClassDef):
            functions += [s for s in stmt.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)]
        elif not isinstance(stmt, ast.Import | ast.ImportFrom):
            rest.append(stmt)
    return functions, rest


def _referenced(tree: ast.Module, functions: list[Function]) -> set[str]:
    """Names used outside the function bodies that are left out (a helper only a dropped function calls is
    dead)."""
    names: set[str] = set()
    for node in [*functions,
                 *(s for s in tree.body if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef))]:
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                names.add(n.id)
            elif isinstance(n, ast.Attribute):
                names.add(n.attr)
    return names


def _numpy_aliases(tree: ast.Module) -> frozenset[str]:
    """The names bound to the numpy module (``import numpy as np``) at the top of the file or of a
    function."""
    names = set()
    tops = [s for s in tree.body if isinstance(s, ast.Import)]
    inner = [s for f in tree.body if isinstance(f, ast.FunctionDef) for s in f.body if isinstance(s,
                                                                                                  ast.Import)]
    for node in tops + inner:
        if isinstance(node, ast.Import):
            names |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    return frozenset(names)
