"""How many files of a corpus folder get their mistake named: a hint on a failed test, and the one they expect.

Each file is graded (seed 1, no training) under the variant where its area's code is the student's
(``batchnorm_forward__*`` under ex08_2020, the rest under ex08, as tests/grader/test_corpus.py does).
A file is *named* when one of its failed tests carries a hint, and *named as expected* when that
hint is the one its first line announces (``# expect: hint=<key>``). The grader imported is the
one this interpreter finds, so the same script measures another checkout's grader on this corpus:

    .venv/bin/python scripts/named_mistakes.py [FOLDER]            (default tests/submissions/wrong)
    cd ../main && .venv/bin/python ../issue-23/scripts/named_mistakes.py ../issue-23/tests/submissions/wrong
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from grader.runner import Grader

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "submissions" / "wrong"


def _expected(path: Path) -> str:
    m = re.search(r"hint=(\S*)", path.read_text().splitlines()[0])
    return m.group(1) if m else ""


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    files = sorted(folder.glob("*.py"))
    graders: dict[str, Grader] = {}
    named, as_expected, unnamed = 0, 0, []
    try:
        for path in files:
            variant = "ex08_2020" if path.stem.startswith("batchnorm_forward__") else "ex08"
            grader = graders.get(variant) or graders.setdefault(variant, Grader(variant))
            report = grader.grade(path.read_bytes(), seed=1, training=False)
            hints = sorted({t.hint for t in report.tests if t.status.value != "passed" and t.hint})
            named += bool(hints)
            as_expected += bool(_expected(path)) and _expected(path) in hints
            if not hints:
                unnamed.append(path.name)
            print(f"{path.name}: {', '.join(hints) or '-'} (expects {_expected(path) or 'none'})", flush=True)
    finally:
        for grader in graders.values():
            grader.close()
    print(f"named: {named} of {len(files)}; named with the hint they expect: {as_expected}")
    print("not named:", " ".join(unnamed) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
