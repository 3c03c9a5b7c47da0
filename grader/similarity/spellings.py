"""Equivalent spellings of one computation, rewritten to one canonical form.

``np.sum(x, axis=0)`` and ``x.sum(0)`` become ``x.sum(axis=0)``; ``a * b`` and ``b * a``
one product whose factors are sorted; ``x * x`` and ``np.square(x)`` become ``x ** 2``;
``a - b`` a sum with a negated term; ``a > b`` becomes ``b < a``; ``a += b`` becomes
``a = a + b``. The sort key of an operand is its normalised token text (``tokens.key``),
so renaming a variable cannot change the order either.
"""

from __future__ import annotations

import ast
import copy as copy_module
from collections import Counter
from collections.abc import Callable

# numpy functions that are also array methods taking the array first: np.f(x, ...) == x.f(...)
ARRAY_METHODS = frozenset(["sum", "mean", "var", "std", "max", "min", "prod", "cumsum", "cumprod", "argmax",
                           "argmin", "any", "all", "reshape", "transpose", "clip", "round", "squeeze",
                           "ravel", "copy", "nonzero", "swapaxes", "repeat", "take"])
# methods whose first positional argument is the axis
AXIS_FIRST = frozenset(["sum", "mean", "var", "std", "max", "min", "prod", "cumsum", "cumprod", "argmax",
                        "argmin", "any", "all", "squeeze"])
BINARY_UFUNCS: dict[str, type[ast.operator]] = {"multiply": ast.Mult, "add": ast.Add, "subtract": ast.Sub,
                                                 "divide": ast.Div, "true_divide": ast.Div, "power": ast.Pow,
                                                 "matmul": ast.MatMult, "dot": ast.MatMult}
FLIPPED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE}


class Spellings(ast.NodeTransformer):
    """Rewrites expressions bottom-up; ``numpy`` is the set of local names bound to the numpy module."""

    def __init__(self, numpy: set[str], key: Callable[[ast.AST], str]) -> None:
        self.numpy = numpy
        self.key = key

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        load = _as_load(node.target)
        value = self.visit(ast.copy_location(ast.BinOp(load, node.op, node.value), node))
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, float) and node.value.is_integer() and abs(node.value) < 2**53:
            return ast.copy_location(ast.Constant(int(node.value)), node)  # 1. == 1
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if node.attr == "T" and isinstance(node.ctx, ast.Load):
            return ast.copy_location(_method(node.value, "transpose", [], []), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = self._numpy_function(node.func)
        if name in BINARY_UFUNCS and len(node.args) == 2 and not node.keywords:
            return self.visit(ast.copy_location(ast.BinOp(node.args[0], BINARY_UFUNCS[name](), node.args[1]),
                                                node))
        if name == "square" and len(node.args) == 1:
            return self.visit(ast.copy_location(ast.BinOp(node.args[0], ast.Pow(), ast.Constant(2)), node))
        if name in ARRAY_METHODS and node.args and not isinstance(node.args[0], ast.Starred):
            node = ast.copy_location(_method(node.args[0], name, node.args[1:], node.keywords), node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "dot" and len(node.args) == 1:
            return self.visit(ast.copy_location(ast.BinOp(node.func.value, ast.MatMult(), node.args[0]),
                                                node))
        if isinstance(node.func, ast.Attribute) and node.func.attr in AXIS_FIRST and len(node.args) == 1:
            node.keywords = [ast.keyword("axis", node.args[0]), *node.keywords]
            node.args = []
        node.keywords = sorted(node.keywords, key=lambda k: k.arg or "")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow) and _is_const(node.right, 0.5):
            return ast.copy_location(ast.Call(ast.Attribute(ast.Name("numpy", ast.Load()), "sqrt",
                                                            ast.Load()),
                                              [node.left], []), node)
        if isinstance(node.op, ast.Add | ast.Sub):
            return self._sorted_chain(node, ast.Add, _terms(node))
        if isinstance(node.op, ast.Mult | ast.Div):
            return self._product(node)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1:
            return node
        op, left, right = node.ops[0], node.left, node.comparators[0]
        if type(op) in FLIPPED:
            op, left, right = FLIPPED[type(op)](), right, left
        if isinstance(op, ast.Eq | ast.NotEq) and self.key(right) < self.key(left):
            left, right = right, left
        return ast.copy_location(ast.Compare(left, [op], [right]), node)

    def _numpy_function(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Attribute) and isinstance(func.value,
                                                          ast.Name) and func.value.id in self.numpy:
            return func.attr
        return None

    def _product(self, node: ast.BinOp) -> ast.AST:
        factors, divisors = _factors(node)
        factors = _powers(factors)
        if divisors:  # a / b / c == a * (1 / (b * c)): one reciprocal, its product sorted too
            denominator = self._sorted_chain(node, ast.Mult, _powers(divisors))
            factors.append(ast.copy_location(ast.BinOp(ast.Constant(1), ast.Div(), denominator), node))
        return self._sorted_chain(node, ast.Mult, factors)

    def _sorted_chain(self, node: ast.AST, op: type[ast.operator], operands: list[ast.expr]) -> ast.expr:
        ordered = sorted(operands, key=self.key)
        out = ordered[0]
        for operand in ordered[1:]:
            out = ast.copy_location(ast.BinOp(out, op(), operand), node)
        return out


def _terms(node: ast.expr, negate: bool = False) -> list[ast.expr]:
    """The signed terms of a chain of + and -; a subtracted term becomes ``-term``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        return _terms(node.left, negate) + _terms(node.right, negate ^ isinstance(node.op, ast.Sub))
    if negate:
        return [ast.copy_location(ast.UnaryOp(ast.USub(), node), node)]
    return [node]


def _factors(node: ast.expr) -> tuple[list[ast.expr], list[ast.expr]]:
    """Numerator and denominator factors of a chain of * and /."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        top, bottom = _factors(node.left)
        right_top, right_bottom = _factors(node.right)
        if isinstance(node.op, ast.Div):
            right_top, right_bottom = right_bottom, right_top
        return top + right_top, bottom + right_bottom
    return ([] if _is_const(node, 1) else [node]), []


def _powers(factors: list[ast.expr]) -> list[ast.expr]:
    """``x * x`` is ``x ** 2``: a factor repeated n times becomes one power (the same names: not ``key``)."""
    if len(factors) < 2:
        return factors or [ast.Constant(1)]
    counts = Counter(ast.dump(f) for f in factors)
    out: list[ast.expr] = []
    seen: set[str] = set()
    for f in factors:
        k = ast.dump(f)
        if k in seen:
            continue
        seen.add(k)
        out.append(ast.copy_location(ast.BinOp(f, ast.Pow(), ast.Constant(counts[k])),
                                     f) if counts[k] > 1 else f)
    return out or [ast.Constant(1)]


def _method(receiver: ast.expr, name: str, args: list[ast.expr], keywords: list[ast.keyword]) -> ast.Call:
    return ast.Call(ast.Attribute(receiver, name, ast.Load()), args, keywords)


def _as_load(target: ast.expr) -> ast.expr:
    """The target of ``a[i] += b`` read: the same expression, every context ``Load``."""
    copy = copy_module.deepcopy(target)
    for node in ast.walk(copy):
        if hasattr(node, "ctx"):
            node.ctx = ast.Load()
    return copy


def _is_const(node: ast.AST, value: float) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == value
