"""Shared fixtures: one warm factory (one zygote) per test session, as in production.

``make test-installed`` runs these tests once per sandbox mode against a
non-editable install (``tests/sandbox/installed.sh``). It sets
``AUTOGRADER_TEST_SANDBOX_MODE`` (the mode the factory must have chosen),
``AUTOGRADER_TEST_INSTALLED`` (``grader`` must come from site-packages) and
``AUTOGRADER_TEST_RESULTS`` (a file each test's outcome is appended to, for the
mode x attack table in docs/sandbox.md).
"""

from __future__ import annotations

import json
import os

import pytest

from grader.sandbox import Limits, SandboxFactory

CANARY_ENV = "AUTOGRADER_CANARY_SECRET"
CANARY_VALUE = "canary-7f3a9c1e-secret"
TEST_LIMITS = Limits(call_timeout=3.0, import_timeout=5.0, memory_bytes=1024**3, cpu_seconds=10,
                     output_bytes=256 * 1024, submission_timeout=30.0)
EXPECTED_MODE = os.environ.get("AUTOGRADER_TEST_SANDBOX_MODE")
RESULTS = os.environ.get("AUTOGRADER_TEST_RESULTS")


@pytest.fixture(scope="session")
def canary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A secret in the judge's environment and in a judge-side file: neither may reach a child."""
    path = tmp_path_factory.mktemp("judge-secrets") / "secret.txt"
    path.write_text(CANARY_VALUE)
    os.environ[CANARY_ENV] = CANARY_VALUE
    return {"env": CANARY_ENV, "value": CANARY_VALUE, "file": str(path)}


@pytest.fixture(scope="session")
def open_factory():
    """Opens a factory in the mode this run expects (when one is named), else the host's strongest."""
    return lambda limits: SandboxFactory(limits=limits, mode=EXPECTED_MODE)


@pytest.fixture(scope="session")
def factory(canary: dict[str, str], open_factory) -> SandboxFactory:
    f = open_factory(TEST_LIMITS)
    yield f
    f.close()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if RESULTS and (report.when == "call" or report.outcome != "passed"):
        with open(RESULTS, "a") as out:
            mode = os.environ.get("AUTOGRADER_TEST_VARIANT") or EXPECTED_MODE
            out.write(json.dumps({"mode": mode, "test": report.nodeid, "outcome": report.outcome,
                                  "when": report.when}) + "\n")
