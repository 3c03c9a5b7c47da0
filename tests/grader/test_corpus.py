"""The corpus: wrong submissions lose points in exactly their area, with the right hint; correct ones lose none.

Every file under tests/submissions/wrong/ is named ``<area>__<mistake>.py`` and
starts with a line ``# expect: hint=<key>`` (or ``hint=`` when no hint applies,
or ``status=error`` when the test must end in an error). Files under
tests/submissions/correct/ must get full marks. The training checks run in the
slow suite (test_training_corpus.py); here they are skipped for speed.

ex08 hands batchnorm_forward out (its tests carry 0 points there), so the
batchnorm_forward fixtures are graded as the ex08_2020 variant, where students
write it and its tests carry points.
"""

from __future__ import annotations

import re

import pytest

from grader.report import Status
from tests.conftest import SUBMISSIONS

WRONG = sorted((SUBMISSIONS / "wrong").glob("*.py"))
CORRECT = sorted((SUBMISSIONS / "correct").glob("*.py"))


def assignment_for(path) -> str:
    """The variant a fixture is graded under: the one where its area's code is the student's."""
    return "ex08_2020" if path.stem.startswith("batchnorm_forward__") else "ex08"


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


@pytest.mark.parametrize("assignment", ["ex08_2020", "ex08_cs231n"])
def test_correct_solution_gets_full_marks_where_students_write_batchnorm_forward(variant_grader, assignment):
    convention = "correct/reference_style.py" if assignment == "ex08_2020" else "keep/correct_cs231n.py"
    report = variant_grader(assignment).grade((SUBMISSIONS / convention).read_bytes(), seed=1, training=False)
    assert [(t.name, t.output) for t in report.tests if t.score < t.max_score] == []
    assert sum(t.max_score for t in report.tests if t.tags == ["batchnorm_forward"]) > 0


@pytest.mark.parametrize("path", CORRECT, ids=[p.stem for p in CORRECT])
def test_correct_solution_passes_the_handed_out_tests_too(grader, path):
    report = grader.grade(path.read_bytes(), seed=1, training=False)
    given = [t for t in report.tests if t.tags == ["batchnorm_forward"] or t.check == "dropout_backward.test_mode"]
    assert given and all(t.max_score == 0 and t.status is Status.PASSED for t in given)


@pytest.mark.parametrize("path", WRONG, ids=[p.stem for p in WRONG])
def test_wrong_submission_loses_points_in_its_area_only(variant_grader, path):
    area = path.stem.split("__")[0]
    expect = _expectations(path)
    report = variant_grader(assignment_for(path)).grade(path.read_bytes(), seed=1, training=False)
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


@pytest.mark.slow
@pytest.mark.parametrize("path", CORRECT, ids=[p.stem for p in CORRECT])
def test_correct_solution_loses_nothing_and_is_never_named_over_many_seeds(grader, path):
    for seed in range(2, 42):
        report = grader.grade(path.read_bytes(), seed=seed, training=False)
        # batchnorm_backward_alt is optional: a correct solution may leave it undone (and be told so)
        named = [t for t in report.tests if t.hint and t.tags != ["batchnorm_backward_alt"]]
        assert [(t.name, t.hint, t.output) for t in report.tests if t.score < t.max_score] + named == [], seed
