"""Graders for the variants of ex08 (the default one, ``grader``, is the session's in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def variant_grader():
    """``variant_grader(id)``: one warm grader per assignment variant, for the whole session."""
    from grader.runner import Grader

    graders: dict[str, Grader] = {}

    def get(assignment: str) -> Grader:
        if assignment not in graders:
            graders[assignment] = Grader(assignment)
        return graders[assignment]

    yield get
    for g in graders.values():
        g.close()
