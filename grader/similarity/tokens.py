"""A syntax tree as a stream of tokens that no longer names anything the student chose.

Each node gives one token, in pre-order: its kind (``Assign``, ``Call``, ``Mult``...), an
attribute's name (``.sum``: numpy's API, not the student's), a keyword argument's name,
a constant's value. A variable, argument or helper function of the student's is ``V``;
a name bound to numpy is ``numpy``; a builtin keeps its name. Every token carries the
line of the source it came from, so matches can be shown where they are.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

BUILTINS = frozenset(dir(builtins))
SILENT = (ast.expr_context, ast.Expr, ast.Module)  # say nothing the neighbouring tokens do not


@dataclass(frozen=True)
class Token:
    """One normalised token and the source line it stands for."""

    text: str
    """What is compared."""
    line: int
    """1-based line in the student's file."""


class Namer:
    """What a name is worth in a token: ``numpy`` for the module's aliases, builtins as themselves, else
    ``V``."""

    def __init__(self, numpy: frozenset[str]) -> None:
        self.numpy = numpy

    def name(self, identifier: str) -> str:
        if identifier in self.numpy or identifier == "numpy":  # the canonical spellings name it so
            return "numpy"
        if identifier in BUILTINS:
            return identifier
        return "V"

    def tokens(self, node: ast.AST, line: int = 0) -> list[Token]:
        out: list[Token] = []
        self._walk(node, line, out)
        return out

    def _walk(self, node: ast.AST, line: int, out: list[Token]) -> None:
        line = getattr(node, "lineno", line) or line
        if not isinstance(node, SILENT):
            out.append(Token(self._text(node), line))
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, ast.AST):
                self._walk(value, line, out)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._walk(item, line, out)

    def key(self, node: ast.AST) -> str:
        """The order in which equivalent operands and independent statements are put: renaming cannot move it.

        Kept on the node: subtrees are rewritten bottom-up, so a node is final once its key is asked for.
        """
        cached = getattr(node, "_similarity_key", None)
        if cached is None:
            cached = " ".join(t.text for t in self.tokens(node))
            node._similarity_key = cached  # type: ignore[attr-defined]
        return cached

    def _text(self, node: ast.AST) -> str:
        match node:
            case ast.Name(id=identifier):
                return self.name(identifier)
            case ast.Constant(value=value):
                return repr(value)
            case ast.Attribute(attr=attr):
                return "." + attr
            case ast.keyword(arg=arg):
                return f"{arg}="
            case ast.arg():
                return "V"
            case ast.FunctionDef(args=args) | ast.AsyncFunctionDef(args=args):
                return f"def/{len(args.args)}"
            case ast.alias(name=name):
                return name
        return type(node).__name__
