"""The fixture matrix: for every single-mistake fixture, exactly which tests it fails and what each costs.

A change to points or checks shows up as a diff of MATRIX below, reviewable by a TA
without reading the checks. Each entry is graded under the variant where its area's
code is the student's (tests/grader/test_corpus.py: ``assignment_for``; the keep/
fixtures under ex08_cs231n), seed 1, without the training checks. Informational
tests (0 points) are listed with 0: they say what was seen, and cost nothing.

The rule it shows: one mistake, one deduction. Every file of wrong/ costs the points
of at most one test per hint; where a mistake still fails several tests (a function
that returns None or raises, test-time scaling that also leaves train mode unscaled,
a missing astype), the report lists the cause once (``report.mistakes``).
"""

from __future__ import annotations

import pytest

from tests.conftest import SUBMISSIONS
from tests.grader.corpus import assignment_for

MATRIX = {
    "wrong/batchnorm_backward__alt_only.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward__dbeta_summed_over_everything.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__dgamma_dbeta_swapped.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward__four_tuple_cache_inconsistent.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__missing_eps.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__missing_eps_recomputed.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward__missing_gamma.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__missing_mean_path.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward__missing_var_path.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__only_direct_path.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__raises.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__returns_none.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward__unbiased_variance.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward__wrong_axis.py": {
        "batchnorm_backward: numerical gradient check": 0,
        "batchnorm_backward: agrees with the reference": 5,
    },
    "wrong/batchnorm_backward_alt__missing_mean_path.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward_alt__unbiased_variance.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_backward_alt__wrong_axis.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": 0,
        "batchnorm_backward_alt: agrees with the reference (optional)": 0,
    },
    "wrong/batchnorm_forward__accepts_any_mode.py": {
        "batchnorm_forward: invalid mode": 0.5,
    },
    "wrong/batchnorm_forward__forgets_gamma_beta.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
    },
    "wrong/batchnorm_forward__ignores_momentum.py": {
        "batchnorm_forward: running averages": 3,
    },
    "wrong/batchnorm_forward__missing_eps.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
    },
    "wrong/batchnorm_forward__modifies_input.py": {
        "batchnorm_forward: input not modified": 0.5,
    },
    "wrong/batchnorm_forward__raises.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
        "batchnorm_forward: running averages": 3,
        "batchnorm_forward: running averages written back into bn_param": 0,
        "batchnorm_forward: test mode": 2,
        "batchnorm_forward: invalid mode": 0.5,
        "batchnorm_forward: input not modified": 0.5,
    },
    "wrong/batchnorm_forward__returns_none.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
        "batchnorm_forward: running averages": 3,
        "batchnorm_forward: running averages written back into bn_param": 0,
        "batchnorm_forward: test mode": 2,
        "batchnorm_forward: invalid mode": 0.5,
        "batchnorm_forward: input not modified": 0.5,
    },
    "wrong/batchnorm_forward__running_not_updated.py": {
        "batchnorm_forward: running averages": 3,
    },
    "wrong/batchnorm_forward__running_not_written_back.py": {
        "batchnorm_forward: running averages": 3,
        "batchnorm_forward: running averages written back into bn_param": 0,
    },
    "wrong/batchnorm_forward__running_swapped.py": {
        "batchnorm_forward: running averages": 3,
    },
    "wrong/batchnorm_forward__test_mode_forgets_gamma.py": {
        "batchnorm_forward: test mode": 2,
    },
    "wrong/batchnorm_forward__test_mode_updates_running.py": {
        "batchnorm_forward: test mode": 2,
    },
    "wrong/batchnorm_forward__test_uses_batch_stats.py": {
        "batchnorm_forward: test mode": 2,
    },
    "wrong/batchnorm_forward__unbiased_variance.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
    },
    "wrong/batchnorm_forward__wrong_output_shape.py": {
        "batchnorm_forward: train-mode output": 3,
        "batchnorm_forward: normalised feature statistics": 0,
    },
    "wrong/dropout_backward__forgets_scaling.py": {
        "dropout_backward: numerical gradient check": 3,
        "dropout_backward: equals dout * mask / (1 - p)": 0,
    },
    "wrong/dropout_backward__ignores_mask.py": {
        "dropout_backward: numerical gradient check": 3,
        "dropout_backward: equals dout * mask / (1 - p)": 0,
    },
    "wrong/dropout_backward__returns_none.py": {
        "dropout_backward: numerical gradient check": 3,
        "dropout_backward: equals dout * mask / (1 - p)": 0,
    },
    "wrong/dropout_forward__divide_by_p.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": 2,
        "dropout_forward: mean preserved": 0,
    },
    "wrong/dropout_forward__float64_output.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": 2,
        "dropout_forward: test mode is the identity": 1,
    },
    "wrong/dropout_forward__keep_convention.py": {
        "dropout_forward: fraction of units dropped": 2,
    },
    "wrong/dropout_forward__leftover_print.py": {
        "dropout_forward: prints nothing": 0.5,
    },
    "wrong/dropout_forward__modifies_input.py": {
        "dropout_forward: input not modified": 0.5,
    },
    "wrong/dropout_forward__no_rescale.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": 2,
        "dropout_forward: mean preserved": 0,
    },
    "wrong/dropout_forward__randn_below_keep.py": {
        "dropout_forward: fraction of units dropped": 2,
        "dropout_forward: mean preserved": 0,
    },
    "wrong/dropout_forward__randn_mask.py": {
        "dropout_forward: fraction of units dropped": 2,
        "dropout_forward: mean preserved": 0,
    },
    "wrong/dropout_forward__returns_none.py": {
        "dropout_forward: prints nothing": 0.5,
        "dropout_forward: fraction of units dropped": 2,
        "dropout_forward: kept units scaled by 1/(1-p)": 2,
        "dropout_forward: mean preserved": 0,
        "dropout_forward: seeding": 1,
        "dropout_forward: test mode is the identity": 1,
        "dropout_forward: input not modified": 0.5,
        "dropout_forward: works for any number of dimensions": 1,
    },
    "wrong/dropout_forward__scale_at_test.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": 2,
        "dropout_forward: mean preserved": 0,
        "dropout_forward: test mode is the identity": 1,
    },
    "wrong/dropout_forward__test_mode_masks.py": {
        "dropout_forward: test mode is the identity": 1,
    },
    "wrong/dropout_forward__test_mode_times_p.py": {
        "dropout_forward: test mode is the identity": 1,
    },
    "wrong/dropout_forward__two_d_only.py": {
        "dropout_forward: works for any number of dimensions": 1,
    },
    "wrong/dropout_forward__whole_columns.py": {
        "dropout_forward: fraction of units dropped": 2,
        "dropout_forward: mean preserved": 0,
    },
    "wrong/dropout_forward__whole_rows.py": {
        "dropout_forward: fraction of units dropped": 2,
    },
    "keep/correct_cs231n.py": {
    },
}


def _assignment(path) -> str:
    return "ex08_cs231n" if path.parent.name == "keep" else assignment_for(path)


def test_every_single_mistake_fixture_is_in_the_matrix():
    files = {f"{p.parent.name}/{p.name}" for folder in ("wrong", "keep") for p in (SUBMISSIONS / folder).glob("*.py")}
    assert files == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_fixture_fails_exactly_its_tests(graded, name):
    path = SUBMISSIONS / name
    report = graded(path, _assignment(path))
    failed = {t.name: round(t.max_score - t.score, 6) for t in report.tests if t.status.value != "passed"}
    assert failed == MATRIX[name]


@pytest.mark.parametrize("name", sorted(n for n in MATRIX if n.startswith("wrong/")))
def test_one_hint_costs_at_most_one_paid_test_unless_listed(graded, name):
    path = SUBMISSIONS / name
    report = graded(path, _assignment(path))
    for mistake in report.mistakes:
        paid = [n for n in mistake.tests if report.tests[int(n) - 1].max_score > 0]
        assert len(paid) <= 1 or name in SEVERAL_TESTS, (mistake.hint, paid)


SEVERAL_TESTS = {
    # the function does nothing usable: every test of it fails, as one mistake
    "wrong/batchnorm_forward__raises.py", "wrong/batchnorm_forward__returns_none.py",
    "wrong/dropout_forward__returns_none.py",
    # out = out.astype(np.float64): the dtype is wrong in train and in test mode (hint output_dtype, listed once)
    "wrong/dropout_forward__float64_output.py",
}
