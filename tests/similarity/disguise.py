"""Disguised copies of a solution: what a student does to hide that a file is someone else's.

Each kind alone (``KINDS``) and all of them together (``disguise(source, *KINDS)``). Every
disguise keeps the program's behaviour: it is checked independently of the library under
test (the dependency check of ``swap`` here is its own, simpler and stricter one).

    python -m tests.similarity.disguise FILE KIND... > copy.py
"""

from __future__ import annotations

import ast
import builtins
import random
import sys
from collections.abc import Callable
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
API = frozenset(node.name for starter in REFERENCE.glob("*/starter/*.py")
                for node in ast.parse(starter.read_text()).body if isinstance(node, ast.FunctionDef))
"""Functions an assignment asks for: the grader calls them by name, so a copy cannot rename them."""
NAMES = ["alpha", "tmp", "res", "val", "acc", "buf", "z", "q", "w2", "aux", "grad", "part", "h", "s1", "t0"]


def comments(source: str, rng: random.Random) -> str:
    """Comments after lines and on lines of their own, blank lines everywhere."""
    out: list[str] = []
    for line in source.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        continued = bool(out) and out[-1].rstrip().endswith("\\")
        if line.strip() and not continued and rng.random() < 0.4:
            out.append(f"{indent}# {rng.choice(['step', 'compute it', 'see the notes', 'TODO check'])}")
        out.append(line + (f"  # {rng.choice(['ok', 'note', 'why?'])}" if line.strip() and rng.random() < 0.3
                           and not line.rstrip().endswith(("\\", '"""', "'''")) else ""))
        if rng.random() < 0.3 and not line.rstrip().endswith("\\"):
            out.append("")
    return "\n".join(out) + "\n"


def formatting(source: str, rng: random.Random) -> str:
    """Re-laid out by the unparser, indented by two spaces instead of four."""
    lines = ast.unparse(ast.parse(source)).splitlines()
    return "\n".join(" " * ((len(li) - len(li.lstrip())) // 2) + li.lstrip() for li in lines) + "\n"


def rename(source: str, rng: random.Random) -> str:
    """Every variable, argument and helper function renamed; numpy imported under another alias."""
    tree = ast.parse(source)
    keep = API | set(dir(builtins))
    found = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
                   | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
                   | {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
                   | {a.asname for n in ast.walk(tree) if isinstance(n, ast.Import)
                      for a in n.names if a.asname})
    mapping = {name: f"{rng.choice(NAMES)}_{i}" for i, name in enumerate(found) if name not in keep}

    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            node.id = mapping.get(node.id, node.id)
            return node

        def visit_arg(self, node: ast.arg) -> ast.arg:
            node.arg = mapping.get(node.arg, node.arg)
            return node

        def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
            node.name = mapping.get(node.name, node.name)
            self.generic_visit(node)
            return node

        def visit_alias(self, node: ast.alias) -> ast.alias:
            node.asname = mapping.get(node.asname, node.asname) if node.asname else None
            return node

    return ast.unparse(Renamer().visit(tree)) + "\n"


def reorder(source: str, rng: random.Random) -> str:
    """The functions in another order (imports first, other module statements after every function)."""
    tree = ast.parse(source)
    imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
    functions = [s for s in tree.body if isinstance(s, ast.FunctionDef)]
    rest = [s for s in tree.body if s not in imports and s not in functions]
    shuffled = functions[::-1] if len(functions) > 1 else functions
    rng.shuffle(shuffled)
    if shuffled == functions and len(functions) > 1:
        shuffled = functions[::-1]
    tree.body = imports + shuffled + rest
    return ast.unparse(tree) + "\n"


def swap(source: str, rng: random.Random) -> str:
    """Adjacent independent assignments swapped (plain names, no call into the random generator)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            i = 0
            while i < len(block) - 1:
                if _independent(block[i], block[i + 1]):
                    block[i], block[i + 1] = block[i + 1], block[i]
                    i += 2
                else:
                    i += 1
    return ast.unparse(tree) + "\n"


def _independent(first: ast.stmt, second: ast.stmt) -> bool:
    def names(stmt: ast.stmt, store: bool) -> set[str]:
        return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx,
                                                                                       ast.Store) == store}

    for stmt in (first, second):
        if not isinstance(stmt,
                          ast.Assign) or not all(isinstance(t, ast.Name | ast.Tuple) for t in stmt.targets):
            return False
        if "random" in ast.unparse(stmt):
            return False
    w1, w2 = names(first, True), names(second, True)
    return not (w1 & (names(second, False) | w2) or w2 & names(first, False))


def spellings(source: str, rng: random.Random) -> str:
    """np.sum(x, axis=k) <-> x.sum(axis=k), a * b -> b * a, a + b -> b + a, x ** 2 -> x * x."""

    class Respell(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            f = node.func
            if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("np",
                                                                                                  "numpy")
                    and f.attr in ("sum", "mean") and len(node.args) == 1):
                return ast.Call(ast.Attribute(node.args[0], f.attr, ast.Load()), [], node.keywords)
            if isinstance(f, ast.Attribute) and f.attr in ("sum", "mean") and not node.args and not (
                    isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy")):
                return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), f.attr, ast.Load()), [f.value],
                                node.keywords)
            return node

        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.op, ast.Mult | ast.Add):
                return ast.BinOp(node.right, node.op, node.left)
            if (isinstance(node.op, ast.Pow) and isinstance(node.right,
                                                            ast.Constant) and node.right.value == 2
                    and isinstance(node.left, ast.Name)):
                return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id, ast.Load()))
            return node

    return ast.unparse(Respell().visit(ast.parse(source))) + "\n"


def dead_code(source: str, rng: random.Random) -> str:
    """Unused assignments, a branch that never runs, code after a return, and a helper nothing calls."""
    tree = ast.parse(source)
    for function in [s for s in tree.body if isinstance(s, ast.FunctionDef)]:
        params = [a.arg for a in function.args.args] or ["0"]
        junk = ast.parse(f"unused_{rng.randrange(99)} = ({rng.choice(params)}, {rng.randrange(2, 9)})\n"
                         f"if False:\n    print({rng.choice(params)})\n").body
        at = rng.randrange(len(function.body) + 1)
        function.body[at:at] = junk
        if isinstance(function.body[-1], ast.Return):
            function.body.append(ast.parse("never_reached = 1").body[0])
    tree.body.append(ast.parse("def _helper_never_called(a, b):\n    c = a + b\n    return c * 2\n").body[0])
    return ast.unparse(tree) + "\n"


KINDS: dict[str, Callable[[str, random.Random], str]] = {
    "comments": comments, "formatting": formatting, "rename": rename, "reorder": reorder, "swap": swap,
    "spellings": spellings, "dead_code": dead_code}


def disguise(source: str, *kinds: str, seed: int = 0) -> str:
    """``source`` disguised by each of ``kinds`` in turn.

    Renaming comes after the rewrites that look for ``np``; comments and layout come last,
    since the others re-lay the file out.
    """
    rng = random.Random(seed)
    ordered = sorted(kinds, key=lambda k: (k == "rename") + 2 * (k in ("comments", "formatting")))
    for kind in ordered:
        source = KINDS[kind](source, rng)
    return source


if __name__ == "__main__":
    path, *chosen = sys.argv[1:]
    sys.stdout.write(disguise(Path(path).read_text(), *(chosen or KINDS)))
