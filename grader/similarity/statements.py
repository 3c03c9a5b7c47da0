"""Statements that do not matter are dropped, and independent ones put in one canonical order.

Dropped: docstrings and other bare constants, ``pass``, whatever follows a ``return``,
``raise``, ``break`` or ``continue`` in its block, the branch of an ``if`` on a constant
that never runs, and assignments to names the function never reads (repeated until
none is left). Ordered: within a block, a statement depends on an earlier one when one
writes what the other reads or writes, or when either leaves the block or calls code
that may do anything; among the statements whose dependencies are placed, the one with
the smallest token text goes next. Swapping two independent statements therefore
gives the same order.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
BLOCKS = ("body", "orelse", "finalbody")
# calls known to touch nothing but their result, besides numpy's (whose ``random`` has a state)
PURE_BUILTINS = frozenset(["len", "range", "float", "int", "abs", "max", "min", "sum", "zip", "enumerate",
                           "isinstance", "tuple", "list", "dict", "bool", "str", "round", "sorted",
                           "reversed"])
PURE_METHODS = frozenset(["sum", "mean", "var", "std", "max", "min", "prod", "cumsum", "argmax", "argmin",
                          "reshape", "transpose", "astype", "copy", "get", "dot", "squeeze", "ravel",
                          "flatten", "any", "all", "clip", "round", "keys", "values", "items", "nonzero",
                          "repeat"])
RNG = "<numpy.random>"
WORLD = "<world>"


@dataclass(frozen=True)
class Effects:
    """What a statement reads and writes (names, and the pseudo-names of hidden state)."""

    reads: frozenset[str]
    writes: frozenset[str]
    barrier: bool
    """Leaves the block, or defines something: nothing moves across it."""


def clean(body: list[ast.stmt]) -> list[ast.stmt]:
    """The block without dead statements (recursively): constants, ``pass``, unreachable code, dead
    branches."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt,
                      ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Constant):
            out += clean(stmt.body if stmt.test.value else stmt.orelse)
            continue
        if isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and not stmt.test.value:
            continue
        for field in BLOCKS:
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, clean(getattr(stmt, field)))
        out.append(stmt)
        if isinstance(stmt, EXITS):
            break
    return out


def drop_dead_stores(function: ast.FunctionDef | ast.AsyncFunctionDef, numpy: frozenset[str]) -> None:
    """Assignments to names nothing reads go, until none is left (the value of one may have fed another)."""
    while True:
        keep: set[str] = set()
        for n in ast.walk(function):
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store):
                keep.add(n.id)
            elif isinstance(n, ast.Global | ast.Nonlocal):
                keep.update(n.names)
        removed = _remove_stores(function, frozenset(keep), numpy)
        if not removed:
            return


def _remove_stores(node: ast.AST, live: frozenset[str], numpy: frozenset[str]) -> bool:
    removed = False
    for field in BLOCKS:
        block = getattr(node, field, None)
        if not isinstance(block, list):
            continue
        kept = [s for s in block if not (isinstance(s, ast.Assign | ast.AnnAssign)
                                         and _plain_names(s) is not None
                                         and not (_plain_names(s) or set()) & live
                                         and not _calls_out(s, numpy))]
        removed |= len(kept) != len(block)
        setattr(node, field, kept)
        for stmt in kept:
            removed |= _remove_stores(stmt, live, numpy)
    return removed


def _plain_names(stmt: ast.Assign | ast.AnnAssign) -> set[str] | None:
    """The names an assignment binds, or None when it writes into something (``d[k] = v``, ``o.a = v``)."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names: set[str] = set()
    for target in targets:
        for n in ast.walk(target):
            if isinstance(n, ast.Subscript | ast.Attribute | ast.Starred):
                return None
            if isinstance(n, ast.Name):
                names.add(n.id)
    return names


def _calls_out(stmt: ast.stmt, numpy: frozenset[str]) -> bool:
    """A call whose effect may outlive the statement (the random generator's state, or unknown code)."""
    effects = effects_of(stmt, numpy)
    return bool(effects.writes & {RNG, WORLD})


def effects_of(stmt: ast.stmt, numpy: frozenset[str]) -> Effects:
    reads: set[str] = set()
    writes: set[str] = set()
    barrier = isinstance(stmt,
                         ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Global | ast.Nonlocal)
    for n in ast.walk(stmt):
        if isinstance(n, (*EXITS, ast.Yield, ast.YieldFrom, ast.Await, ast.Try, ast.With)):
            barrier = True
        elif isinstance(n, ast.Name):
            (writes if isinstance(n.ctx, ast.Store | ast.Del) else reads).add(n.id)
        elif isinstance(n, ast.Subscript | ast.Attribute) and isinstance(n.ctx, ast.Store | ast.Del):
            writes.update(_base_names(n))  # d[k] = v changes d
        elif isinstance(n, ast.Call):
            writes.update(_call_writes(n, numpy))
    return Effects(frozenset(reads), frozenset(writes), barrier)


def _base_names(node: ast.expr) -> set[str]:
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    return {node.id} if isinstance(node, ast.Name) else set()


def _call_writes(call: ast.Call, numpy: frozenset[str]) -> set[str]:
    func = call.func
    dotted = ast.unparse(func)
    if any(dotted.startswith(f"{alias}.random.") for alias in numpy) or dotted.startswith("random."):
        return {RNG}
    if isinstance(func, ast.Name):
        return set() if func.id in PURE_BUILTINS else {WORLD}
    if isinstance(func, ast.Attribute):
        base = _base_names(func.value)
        if base & numpy or func.attr in PURE_METHODS:
            return set()
        return base | ({WORLD} if not base else set())  # x.fill(0) changes x
    return {WORLD}


def canonical_order(body: list[ast.stmt], numpy: frozenset[str],
                    key: Callable[[ast.AST], str]) -> list[ast.stmt]:
    """The block (and every block inside it) in the one order swaps of independent statements all give."""
    for stmt in body:
        for field in BLOCKS:
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, canonical_order(getattr(stmt, field), numpy, key))
    effects = [effects_of(s, numpy) for s in body]
    keys = [key(s) for s in body]
    before = [{i for i in range(j) if _depends(effects[i], effects[j])} for j in range(len(body))]
    placed: list[int] = []
    left = set(range(len(body)))
    while left:
        ready = [j for j in left if before[j] <= set(placed)]
        nxt = min(ready, key=lambda j: (keys[j], j))
        placed.append(nxt)
        left.remove(nxt)
    return [body[j] for j in placed]


def _depends(first: Effects, later: Effects) -> bool:
    if first.barrier or later.barrier:
        return True
    return bool(first.writes & (later.reads | later.writes) or first.reads & later.writes)
