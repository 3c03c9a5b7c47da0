"""The corpus: wrong submissions lose points in exactly their area, with the right hint; correct ones lose none.

Every file under tests/submissions/wrong/ is named ``<area>__<mistake>.py`` and
starts with a line ``# expect: hint=<key>`` (or ``hint=`` when no hint applies,
or ``status=error`` when the test must end in an error). Files under
tests/submissions/correct/ must get full marks. The training checks run in the
slow suite (test_training_corpus.py); here they are skipped for speed.
"""

from __future__ import annotations

import re

import pytest

from grader.report import Status
from tests.conftest import SUBMISSIONS

WRONG = sorted((SUBMISSIONS / "wrong").glob("*.py"))
CORRECT = sorted((SUBMISSIONS / "correct").glob("*.py"))


def _expectations(path):
    first = path.read_text().splitlines()[0]
    m = re.match(r"# expect:(.*)$", first)
    assert m, f"{path.name} must start with '# expect: hint=<key>'"
    return dict(kv.split("=", 1) for kv in m.group(1).split())


def test_corpus_is_large_enough():
    assert len(WRONG) >= 30 and len(CORRECT) >= 5


@pytest.mark.parametrize("path", CORRECT, ids=[p.stem for p in CORRECT])
def test_correct_solution_gets_full_marks(grader, path):
    report = grader.grade(path.read_bytes(), seed=1, training=False)
    lost = [(t.name, t.status.value, t.output) for t in report.tests if t.score < t.max_score]
    assert not lost
    # batchnorm_backward_alt is optional (0 points): a correct solution may leave it undone.
    assert all(t.status is Status.PASSED for t in report.tests if t.max_score > 0)


@pytest.mark.parametrize("path", WRONG, ids=[p.stem for p in WRONG])
def test_wrong_submission_loses_points_in_its_area_only(grader, path):
    area = path.stem.split("__")[0]
    expect = _expectations(path)
    report = grader.grade(path.read_bytes(), seed=1, training=False)
    in_area = [t for t in report.tests if t.tags == [area]]
    elsewhere = [t for t in report.tests if t.tags != [area]]
    assert in_area, f"no test tagged {area}"
    assert sum(t.score for t in in_area) < sum(t.max_score for t in in_area) or area == "batchnorm_backward_alt"
    assert [t.name for t in elsewhere if t.score < t.max_score] == []
    failed = [t for t in in_area if t.status is not Status.PASSED]
    assert failed
    if expect.get("hint"):
        assert expect["hint"] in {t.hint for t in failed}, [(t.name, t.hint, t.output) for t in failed]
    if expect.get("status"):
        assert expect["status"] in {t.status.value for t in failed}
    for t in failed:
        assert t.output.strip(), f"{t.name} failed without saying why"
