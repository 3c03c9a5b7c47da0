"""One cause, listed once (grader/mistakes.py): a failure that is not one check's, grouped across areas."""

from __future__ import annotations

import pytest

from grader.mistakes import group
from grader.report import Status, TestResult
from tests.conftest import SUBMISSIONS


def _t(number: int, area: str, *, hint: str = "", cause: str = "", points: float = 1.0,
       status: Status = Status.FAILED) -> TestResult:
    return TestResult(name=f"{area}: {number}", number=str(number), score=0.0, max_score=points, status=status,
                      output=f"test {number} failed.\n\nmore", tags=[area], hint=hint,
                      data={"cause": cause} if cause else {})


@pytest.mark.parametrize("name", ["syntax_error.py", "indentation_error.py", "name_error_at_import.py"])
def test_a_file_that_does_not_import_is_one_mistake_with_every_test_it_cost(grader, name):
    report = grader.grade((SUBMISSIONS / "robustness" / name).read_bytes(), training=False)
    (mistake,) = report.mistakes
    assert mistake.tests == [t.number for t in report.tests]
    assert mistake.points == report.max_score
    assert "could not be imported" in mistake.summary


def test_a_missing_function_is_one_mistake(grader):
    report = grader.grade((SUBMISSIONS / "robustness" / "missing_dropout_backward.py").read_bytes(), training=False)
    (mistake,) = report.mistakes
    assert "not defined" in mistake.summary
    assert mistake.tests == [t.number for t in report.tests if t.status is not Status.PASSED]


def test_the_same_cause_in_several_areas_is_one_mistake_and_other_causes_stay_apart():
    results = [_t(1, "batchnorm_forward", cause="raised:TypeError:line 7"),
               _t(2, "batchnorm_forward", cause="raised:TypeError:line 7"),
               _t(3, "dropout_forward", cause="raised:TypeError:line 7"),
               _t(4, "dropout_forward", cause="raised:TypeError:line 9"),
               _t(5, "dropout_backward", hint="backward_missing_scale"),
               _t(6, "training", cause="raised:TypeError:line 7")]
    assert [m.tests for m in group(results)] == [["1", "2", "3", "6"], ["4"], ["5"]]


def test_an_unnamed_failure_joins_the_cause_of_its_area():
    # dropout_backward raised in test mode; its train-mode tests failed without a hint, for the same reason
    results = [_t(1, "dropout_backward"), _t(2, "dropout_backward"),
               _t(3, "dropout_backward", cause="raised:NotImplementedError:line 21"), _t(4, "dropout_forward")]
    assert [m.tests for m in group(results)] == [["1", "2", "3"], ["4"]]


def test_a_cause_changes_no_score_and_skips_passed_tests():
    results = [_t(1, "a", cause="import", points=2.0), _t(2, "b", cause="import", points=3.0),
               _t(3, "c", status=Status.PASSED)]
    (mistake,) = group(results)
    assert mistake.tests == ["1", "2"] and mistake.points == 5.0 and mistake.summary == "test 1 failed."
