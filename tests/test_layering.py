"""Dependency direction, as a test: the grading library pulls in no web, queue or database code,
and the API process pulls in no grading internals (nor torch)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

FORBIDDEN_IN_GRADER = ("fastapi", "starlette", "celery", "kombu", "sqlalchemy", "redis", "alembic",
                       "uvicorn", "api", "workers")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_grader_imports_no_service_code():
    loaded = _top_level(_modules_after(
        "import grader, grader.runner, grader.cli\n"
        "from grader.checks import loader; loader.load()"))
    assert loaded.isdisjoint(FORBIDDEN_IN_GRADER), sorted(loaded & set(FORBIDDEN_IN_GRADER))


def test_api_imports_no_grading_internals():
    loaded = _modules_after("import api.main")
    internals = {m for m in loaded if m.startswith(("grader.checks", "grader.sandbox", "grader.runner"))}
    assert internals == set()
    assert "torch" not in _top_level(loaded)
