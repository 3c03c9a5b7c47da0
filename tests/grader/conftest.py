"""Graders for the variants of ex08 (the default one, ``grader``, is the session's in tests/conftest.py), and
one session-wide cache of reports, so a fixture graded by several tests with the same arguments is graded
once."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def variant_grader(grader):
    """``variant_grader(id)``: one warm grader per assignment variant, for the whole session (ex08's is
    the session's ``grader``)."""
    from grader.runner import Grader

    graders: dict[str, Grader] = {"ex08": grader}

    def get(assignment: str) -> Grader:
        if assignment not in graders:
            graders[assignment] = Grader(assignment)
        return graders[assignment]

    yield get
    for assignment, g in graders.items():
        if assignment != "ex08":  # the session's grader closes itself
            g.close()


@pytest.fixture(scope="session")
def graded(variant_grader):
    """``graded(path, assignment, seed=1, training=False)``: the report of that file, graded once per session
    for the same arguments (the same seed gives the same report; tests only read it)."""
    from grader.report import Report

    reports: dict[tuple[str, str, int, bool], Report] = {}

    def get(path: Path, assignment: str, *, seed: int = 1, training: bool = False) -> Report:
        key = (str(path), assignment, seed, training)
        if key not in reports:
            reports[key] = variant_grader(assignment).grade(path.read_bytes(), seed=seed, training=training)
        return reports[key]

    return get
