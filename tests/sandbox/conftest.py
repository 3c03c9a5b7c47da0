"""Shared fixtures: one warm factory (one zygote) per test session, as in production."""

from __future__ import annotations

import os

import pytest

from grader.sandbox import Limits, SandboxFactory

CANARY_ENV = "AUTOGRADER_CANARY_SECRET"
CANARY_VALUE = "canary-7f3a9c1e-secret"
TEST_LIMITS = Limits(call_timeout=3.0, import_timeout=5.0, memory_bytes=1024**3, cpu_seconds=10,
                     output_bytes=256 * 1024, submission_timeout=30.0)


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A secret in the judge's environment and in a judge-side file: neither may reach a child."""
    path = tmp_path_factory.mktemp("judge-secrets") / "secret.txt"
    path.write_text(CANARY_VALUE)
    os.environ[CANARY_ENV] = CANARY_VALUE
    return {"env": CANARY_ENV, "value": CANARY_VALUE, "file": str(path)}


@pytest.fixture(scope="session")
def factory(canary: dict[str, str]) -> SandboxFactory:
    f = SandboxFactory(limits=TEST_LIMITS)
    yield f
    f.close()
