"""The corpus of tests/submissions/: which files are wrong or correct, and what each expects."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import SUBMISSIONS

WRONG = sorted((SUBMISSIONS / "wrong").glob("*.py"))
CORRECT = sorted((SUBMISSIONS / "correct").glob("*.py"))


def assignment_for(path: Path) -> str:
    """The variant a fixture is graded under: the one where its area's code is the student's."""
    return "ex08_2020" if path.stem.startswith("batchnorm_forward__") else "ex08"


def expectations(path: Path) -> dict[str, str]:
    """The fixture's first line, ``# expect: hint=<key>`` (or ``status=error``...), as a dict."""
    first = path.read_text().splitlines()[0]
    m = re.match(r"# expect:(.*)$", first)
    assert m, f"{path.name} must start with '# expect: hint=<key>'"
    return dict(kv.split("=", 1) for kv in m.group(1).split())
