"""The corpus again, with the training checks on (slow).

Correct solutions keep every point. A wrong submission loses points in its own
area and may lose the training points too (a wrong layer makes its network
train differently, and the training message then points at the layer's own
test), but never anything in another layer's area.
"""

from __future__ import annotations

import pytest

from grader.report import Status
from tests.grader.corpus import CORRECT, WRONG

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warm_grader(grader):
    grader.warm_up()
    return grader


@pytest.mark.parametrize("path", CORRECT, ids=[p.stem for p in CORRECT])
def test_correct_solution_keeps_the_training_points(warm_grader, path):
    report = warm_grader.grade(path.read_bytes(), seed=2, training=True)
    training = [t for t in report.tests if t.tags == ["training"]]
    assert training and all(t.status is Status.PASSED and t.score == t.max_score for t in training), \
        [(t.name, t.output) for t in training]
    assert report.score == sum(t.max_score for t in report.tests
                               if t.max_score > 0 and t.status is Status.PASSED)


@pytest.mark.parametrize("path", WRONG, ids=[p.stem for p in WRONG])
def test_wrong_submission_loses_nothing_outside_its_area_and_training(warm_grader, path):
    area = path.stem.split("__")[0]
    report = warm_grader.grade(path.read_bytes(), seed=2, training=True)
    outside = [t.name for t in report.tests if t.tags[0] not in (area, "training") and t.score < t.max_score]
    assert outside == []
    for t in report.tests:
        if t.tags == ["training"] and t.status is not Status.PASSED:
            assert t.output.strip()
