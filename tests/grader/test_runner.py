"""How a submission that misbehaves is still graded: import errors, missing functions,
hangs, crashes, floods of output; and determinism of the whole report."""

from __future__ import annotations

import pytest

from grader.report import Report, Status
from tests.conftest import SUBMISSIONS

ROBUST = SUBMISSIONS / "robustness"


def _source(name: str) -> bytes:
    return (ROBUST / name).read_bytes()


@pytest.fixture(scope="module")
def quick_grader():
    """A grader with a short call timeout, so the hanging submission costs ~1 s."""
    from grader.runner import Grader

    g = Grader("ex08", call_timeout=1.0)
    yield g
    g.close()


@pytest.mark.parametrize(("name", "line", "kind"), [
    ("syntax_error.py", 4, "SyntaxError"),
    ("indentation_error.py", 6, "IndentationError"),
    ("name_error_at_import.py", 4, "NameError"),
])
def test_file_that_does_not_import_gets_zero_with_the_error_and_line(grader, name, line, kind):
    report = grader.grade(_source(name), training=False)
    assert report.score == 0 and report.max_score > 0
    assert all(t.status is Status.ERROR and t.score == 0 for t in report.tests)
    assert kind in report.output and f"line {line}" in report.output
    assert kind in report.tests[0].output


def test_missing_function_fails_only_its_own_tests(grader):
    report = grader.grade(_source("missing_dropout_backward.py"), training=False)
    lost = {t.tags[0] for t in report.tests if t.score < t.max_score}
    assert lost == {"dropout_backward"}
    missing = [t for t in report.tests if t.tags == ["dropout_backward"] and t.status is Status.FAILED]
    assert missing and all("dropout_backward" in t.output and "not defined" in t.output for t in missing)


def test_hanging_function_times_out_and_other_tests_still_run(quick_grader):
    report = quick_grader.grade(_source("hanging_batchnorm_forward.py"), training=False)
    forward = [t for t in report.tests if t.tags == ["batchnorm_forward"]]
    assert forward and all(t.status is Status.TIMEOUT and t.score == 0 for t in forward)
    assert "batchnorm_forward did not return within 1 s" in forward[0].output
    dropout = [t for t in report.tests if t.tags[0].startswith("dropout")]
    assert dropout and all(t.status is Status.PASSED for t in dropout)
    assert report.execution_time < 30  # one timeout, not one per test


def test_crash_in_one_function_restarts_the_child_for_the_rest(grader):
    report = grader.grade(_source("exits_in_dropout_backward.py"), training=False)
    crashed = [t for t in report.tests if t.tags == ["dropout_backward"] and t.max_score > 0]
    assert any(t.status is Status.ERROR and "crashed" in t.output for t in crashed)
    others = [t for t in report.tests if t.tags[0] in ("batchnorm_forward", "dropout_forward")]
    assert all(t.status is Status.PASSED for t in others)


def test_printed_output_is_captured_capped_and_shown(grader):
    report = grader.grade(_source("prints_a_lot.py"), training=False)
    assert "debug: dropout called with x =" in report.printed  # data apart from our own messages
    assert "[output truncated after 64 KiB]" in report.printed
    assert len(report.printed) < 80_000 and "debug:" not in report.output
    # Leftover prints cost the half point of "prints nothing", and nothing else.
    lost = [(t.check, t.hint) for t in report.tests if t.score < t.max_score]
    assert lost == [("dropout_forward.quiet", "leftover_print")]


def test_same_seed_gives_an_identical_report(grader, reference_source):
    first = grader.grade(reference_source, seed=7, training=False).to_dict()
    second = grader.grade(reference_source, seed=7, training=False).to_dict()
    for d in (first, second):
        d.pop("execution_time")
    assert first == second
    assert first["seed"] == 7 and first["score"] == first["max_score"]


def test_report_is_gradescope_compatible_json(grader, reference_source):
    report = grader.grade(reference_source, seed=3, training=False)
    d = report.to_dict()
    assert {"score", "max_score", "execution_time", "output", "tests", "assignment", "seed",
            "grader_version", "submission_sha256"} <= d.keys()
    for t in d["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility", "tags"} <= t.keys()
        assert t["status"] in ("passed", "failed", "error", "timeout")
        assert t["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
    assert Report.from_json(report.to_json()).to_dict() == d


def test_a_hang_in_the_train_branch_does_not_cost_the_test_mode_test(quick_grader):
    report = quick_grader.grade(_source("hanging_dropout_backward_train_branch.py"), training=False)
    backward = {t.check: t for t in report.tests if t.tags == ["dropout_backward"]}
    assert backward["dropout_backward.test_mode"].status is Status.PASSED
    assert {backward[c].status for c in ("dropout_backward.numeric_gradient",
                                         "dropout_backward.matches_mask")} \
        == {Status.TIMEOUT}


def test_failed_tests_are_grouped_by_their_shared_cause(grader):
    report = grader.grade((SUBMISSIONS / "wrong" / "dropout_forward__float64_output.py").read_bytes(), seed=1,
                          training=False)
    assert [(m.hint, m.points, len(m.tests)) for m in report.mistakes] == [("output_dtype", 3.0, 2)]
    assert Report.from_json(report.to_json()).mistakes == report.mistakes
    starter_file = SUBMISSIONS.parent.parent / "reference" / "ex08" / "starter" / "layers.py"
    starter = grader.grade(starter_file.read_bytes(), training=False)
    grouped = sorted(n for m in starter.mistakes for n in m.tests)
    assert grouped == sorted(t.number for t in starter.tests if t.status is not Status.PASSED)
    areas = [{starter.tests[int(n) - 1].tags[0] for n in m.tests} for m in starter.mistakes]
    assert all(len(a) == 1 for a in areas)  # gated tests join their own function's cause
    assert sum(m.points for m in starter.mistakes) == starter.max_score - starter.score


def test_hidden_tests_leave_no_trace_in_the_mistakes_a_student_sees(grader):
    report = grader.grade((SUBMISSIONS / "wrong" / "dropout_forward__float64_output.py").read_bytes(), seed=1,
                          training=False)
    (mistake,) = report.mistakes
    first, second = mistake.tests
    assert report.mistakes_shown({t.number for t in report.tests}) == report.mistakes
    (shown,) = report.mistakes_shown({t.number for t in report.tests} - {second})
    assert shown.tests == [first] and shown.points == report.tests[int(first) - 1].max_score
    assert report.mistakes_shown({t.number for t in report.tests} - {first, second}) == []
