"""The fixture matrix: for every single-mistake fixture, exactly which tests it fails, what each costs,
and the mistake each names (its hint; "" where none is named).

A change to points, checks or hints shows up as a diff of MATRIX below, reviewable by a TA
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
from tests.grader.test_corpus import assignment_for

MATRIX = {
    "keep/correct_cs231n.py": {
    },
    "wrong/batchnorm_backward__alt_only.py": {
        "batchnorm_backward: numerical gradient check": (0, "alt_only"),
        "batchnorm_backward: agrees with the reference": (5, "alt_only"),
    },
    "wrong/batchnorm_backward__compact_missing_1_over_n__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "compact_form_n_misplaced"),
        "batchnorm_backward: agrees with the reference": (5, "compact_form_n_misplaced"),
    },
    "wrong/batchnorm_backward__dbeta_averaged__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "averaged_not_summed"),
        "batchnorm_backward: agrees with the reference": (5, "averaged_not_summed"),
    },
    "wrong/batchnorm_backward__dbeta_summed_over_everything.py": {
        "batchnorm_backward: numerical gradient check": (0, "wrong_axis"),
        "batchnorm_backward: agrees with the reference": (5, "wrong_axis"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__dgamma_averaged__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "averaged_not_summed"),
        "batchnorm_backward: agrees with the reference": (5, "averaged_not_summed"),
    },
    "wrong/batchnorm_backward__dgamma_centred__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "centred_not_normalised"),
        "batchnorm_backward: agrees with the reference": (5, "centred_not_normalised"),
    },
    "wrong/batchnorm_backward__dgamma_dbeta_averaged__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "averaged_not_summed"),
        "batchnorm_backward: agrees with the reference": (5, "averaged_not_summed"),
    },
    "wrong/batchnorm_backward__dgamma_dbeta_swapped.py": {
        "batchnorm_backward: numerical gradient check": (0, "dgamma_dbeta_swapped"),
        "batchnorm_backward: agrees with the reference": (5, "dgamma_dbeta_swapped"),
    },
    "wrong/batchnorm_backward__dgamma_uses_x__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "dgamma_uses_x"),
        "batchnorm_backward: agrees with the reference": (5, "dgamma_uses_x"),
    },
    "wrong/batchnorm_backward__eps_outside_sqrt__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "eps_outside_sqrt"),
        "batchnorm_backward: agrees with the reference": (5, "eps_outside_sqrt"),
    },
    "wrong/batchnorm_backward__eps_outside_sqrt__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "eps_outside_sqrt"),
        "batchnorm_backward: agrees with the reference": (5, "eps_outside_sqrt"),
    },
    "wrong/batchnorm_backward__four_tuple_cache_inconsistent.py": {
        "batchnorm_backward: numerical gradient check": (0, "backward_wrong_cache"),
        "batchnorm_backward: agrees with the reference": (5, "backward_wrong_cache"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__mean_path_missing_1_over_n__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "mean_path_missing_1_over_n"),
        "batchnorm_backward: agrees with the reference": (5, "mean_path_missing_1_over_n"),
    },
    "wrong/batchnorm_backward__mean_path_missing_1_over_n__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "mean_path_missing_1_over_n"),
        "batchnorm_backward: agrees with the reference": (5, "mean_path_missing_1_over_n"),
    },
    "wrong/batchnorm_backward__mean_path_over_everything__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "dx_sum_over_wrong_axis"),
        "batchnorm_backward: agrees with the reference": (5, "dx_sum_over_wrong_axis"),
    },
    "wrong/batchnorm_backward__mean_path_over_features__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "dx_sum_over_wrong_axis"),
        "batchnorm_backward: agrees with the reference": (5, "dx_sum_over_wrong_axis"),
    },
    "wrong/batchnorm_backward__mean_path_wrong_sign__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "mean_path_wrong_sign"),
        "batchnorm_backward: agrees with the reference": (5, "mean_path_wrong_sign"),
    },
    "wrong/batchnorm_backward__missing_eps.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_eps"),
        "batchnorm_backward: agrees with the reference": (5, "missing_eps"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__missing_eps__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_eps"),
        "batchnorm_backward: agrees with the reference": (5, "missing_eps"),
    },
    "wrong/batchnorm_backward__missing_eps_recomputed.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_eps"),
        "batchnorm_backward: agrees with the reference": (5, "missing_eps"),
    },
    "wrong/batchnorm_backward__missing_gamma.py": {
        "batchnorm_backward: numerical gradient check": (0, "dx_missing_gamma"),
        "batchnorm_backward: agrees with the reference": (5, "dx_missing_gamma"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__missing_mean_path.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_mean_path"),
        "batchnorm_backward: agrees with the reference": (5, "missing_mean_path"),
    },
    "wrong/batchnorm_backward__missing_mean_path__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_mean_path"),
        "batchnorm_backward: agrees with the reference": (5, "missing_mean_path"),
    },
    "wrong/batchnorm_backward__missing_var_path.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_var_path"),
        "batchnorm_backward: agrees with the reference": (5, "missing_var_path"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__missing_var_path__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_var_path"),
        "batchnorm_backward: agrees with the reference": (5, "missing_var_path"),
    },
    "wrong/batchnorm_backward__only_direct_path.py": {
        "batchnorm_backward: numerical gradient check": (0, "missing_mean_and_var_path"),
        "batchnorm_backward: agrees with the reference": (5, "missing_mean_and_var_path"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__raises.py": {
        "batchnorm_backward: numerical gradient check": (0, ""),
        "batchnorm_backward: agrees with the reference": (5, ""),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__returns_none.py": {
        "batchnorm_backward: numerical gradient check": (0, "returned_none"),
        "batchnorm_backward: agrees with the reference": (5, "returned_none"),
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "returned_none"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "returned_none"),
    },
    "wrong/batchnorm_backward__unbiased_variance.py": {
        "batchnorm_backward: numerical gradient check": (0, "unbiased_variance"),
        "batchnorm_backward: agrees with the reference": (5, "unbiased_variance"),
    },
    "wrong/batchnorm_backward__unbiased_variance__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "unbiased_variance"),
        "batchnorm_backward: agrees with the reference": (5, "unbiased_variance"),
    },
    "wrong/batchnorm_backward__var_path_missing_1_over_n__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "var_path_missing_1_over_n"),
        "batchnorm_backward: agrees with the reference": (5, "var_path_missing_1_over_n"),
    },
    "wrong/batchnorm_backward__var_path_missing_half__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "var_path_missing_half"),
        "batchnorm_backward: agrees with the reference": (5, "var_path_missing_half"),
    },
    "wrong/batchnorm_backward__var_path_missing_half__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "var_path_missing_half"),
        "batchnorm_backward: agrees with the reference": (5, "var_path_missing_half"),
    },
    "wrong/batchnorm_backward__var_path_missing_two__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "var_path_missing_two"),
        "batchnorm_backward: agrees with the reference": (5, "var_path_missing_two"),
    },
    "wrong/batchnorm_backward__var_path_over_features__dict_cache.py": {
        "batchnorm_backward: numerical gradient check": (0, "dx_sum_over_wrong_axis"),
        "batchnorm_backward: agrees with the reference": (5, "dx_sum_over_wrong_axis"),
    },
    "wrong/batchnorm_backward__var_path_wrong_sign__staged.py": {
        "batchnorm_backward: numerical gradient check": (0, "var_path_wrong_sign"),
        "batchnorm_backward: agrees with the reference": (5, "var_path_wrong_sign"),
    },
    "wrong/batchnorm_backward__var_term_centred__compact.py": {
        "batchnorm_backward: numerical gradient check": (0, "centred_not_normalised"),
        "batchnorm_backward: agrees with the reference": (5, "centred_not_normalised"),
    },
    "wrong/batchnorm_backward__wrong_axis.py": {
        "batchnorm_backward: numerical gradient check": (0, "wrong_axis"),
        "batchnorm_backward: agrees with the reference": (5, "wrong_axis"),
    },
    "wrong/batchnorm_backward_alt__dbeta_averaged.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "averaged_not_summed"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "averaged_not_summed"),
    },
    "wrong/batchnorm_backward_alt__eps_outside_sqrt.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "eps_outside_sqrt"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "eps_outside_sqrt"),
    },
    "wrong/batchnorm_backward_alt__first_term_missing_n.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "compact_form_n_misplaced"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "compact_form_n_misplaced"),
    },
    "wrong/batchnorm_backward_alt__missing_mean_path.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "missing_mean_path"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "missing_mean_path"),
    },
    "wrong/batchnorm_backward_alt__unbiased_variance.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "unbiased_variance"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "unbiased_variance"),
    },
    "wrong/batchnorm_backward_alt__wrong_axis.py": {
        "batchnorm_backward_alt: numerical gradient check (optional)": (0, "wrong_axis"),
        "batchnorm_backward_alt: agrees with the reference (optional)": (0, "wrong_axis"),
    },
    "wrong/batchnorm_forward__accepts_any_mode.py": {
        "batchnorm_forward: invalid mode": (0.5, "invalid_mode_accepted"),
    },
    "wrong/batchnorm_forward__forgets_gamma_beta.py": {
        "batchnorm_forward: train-mode output": (3, "missing_gamma_beta"),
        "batchnorm_forward: normalised feature statistics": (0, "missing_gamma_beta"),
    },
    "wrong/batchnorm_forward__ignores_momentum.py": {
        "batchnorm_forward: running averages": (3, "momentum_ignored"),
    },
    "wrong/batchnorm_forward__missing_eps.py": {
        "batchnorm_forward: train-mode output": (3, "missing_eps"),
        "batchnorm_forward: normalised feature statistics": (0, "missing_eps"),
    },
    "wrong/batchnorm_forward__modifies_input.py": {
        "batchnorm_forward: input not modified": (0.5, "input_modified"),
    },
    "wrong/batchnorm_forward__raises.py": {
        "batchnorm_forward: train-mode output": (3, ""),
        "batchnorm_forward: normalised feature statistics": (0, ""),
        "batchnorm_forward: running averages": (3, ""),
        "batchnorm_forward: running averages written back into bn_param": (0, ""),
        "batchnorm_forward: test mode": (2, ""),
        "batchnorm_forward: invalid mode": (0.5, ""),
        "batchnorm_forward: input not modified": (0.5, ""),
    },
    "wrong/batchnorm_forward__returns_none.py": {
        "batchnorm_forward: train-mode output": (3, "returned_none"),
        "batchnorm_forward: normalised feature statistics": (0, "returned_none"),
        "batchnorm_forward: running averages": (3, "returned_none"),
        "batchnorm_forward: running averages written back into bn_param": (0, "returned_none"),
        "batchnorm_forward: test mode": (2, "returned_none"),
        "batchnorm_forward: invalid mode": (0.5, ""),
        "batchnorm_forward: input not modified": (0.5, ""),
    },
    "wrong/batchnorm_forward__running_not_updated.py": {
        "batchnorm_forward: running averages": (3, "running_not_updated"),
    },
    "wrong/batchnorm_forward__running_not_written_back.py": {
        "batchnorm_forward: running averages": (3, "running_not_written_back"),
        "batchnorm_forward: running averages written back into bn_param": (0, "running_not_written_back"),
    },
    "wrong/batchnorm_forward__running_swapped.py": {
        "batchnorm_forward: running averages": (3, "running_swapped"),
    },
    "wrong/batchnorm_forward__test_mode_forgets_gamma.py": {
        "batchnorm_forward: test mode": (2, "missing_gamma_beta"),
    },
    "wrong/batchnorm_forward__test_mode_updates_running.py": {
        "batchnorm_forward: test mode": (2, "test_updates_running"),
    },
    "wrong/batchnorm_forward__test_uses_batch_stats.py": {
        "batchnorm_forward: test mode": (2, "test_uses_batch_stats"),
    },
    "wrong/batchnorm_forward__unbiased_variance.py": {
        "batchnorm_forward: train-mode output": (3, "unbiased_variance"),
        "batchnorm_forward: normalised feature statistics": (0, "unbiased_variance"),
    },
    "wrong/batchnorm_forward__wrong_output_shape.py": {
        "batchnorm_forward: train-mode output": (3, "output_transposed"),
        "batchnorm_forward: normalised feature statistics": (0, "output_transposed"),
    },
    "wrong/dropout_backward__divides_by_p.py": {
        "dropout_backward: numerical gradient check": (3, "backward_wrong_scale"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "backward_wrong_scale"),
    },
    "wrong/dropout_backward__dropped_units_mask.py": {
        "dropout_backward: numerical gradient check": (3, "backward_inverted_mask"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "backward_inverted_mask"),
    },
    "wrong/dropout_backward__forgets_scaling.py": {
        "dropout_backward: numerical gradient check": (3, "backward_missing_scale"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "backward_missing_scale"),
    },
    "wrong/dropout_backward__ignores_mask.py": {
        "dropout_backward: numerical gradient check": (3, "backward_ignores_mask"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "backward_ignores_mask"),
    },
    "wrong/dropout_backward__returns_none.py": {
        "dropout_backward: numerical gradient check": (3, "returned_none"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "returned_none"),
    },
    "wrong/dropout_backward__scaled_twice__prescaled_mask.py": {
        "dropout_backward: numerical gradient check": (3, "backward_scaled_twice"),
        "dropout_backward: equals dout * mask / (1 - p)": (0, "backward_scaled_twice"),
    },
    "wrong/dropout_forward__divide_by_p.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": (2, "divide_by_p"),
        "dropout_forward: mean preserved": (0, "divide_by_p"),
    },
    "wrong/dropout_forward__float64_output.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": (2, "output_dtype"),
        "dropout_forward: test mode is the identity": (1, "output_dtype"),
    },
    "wrong/dropout_forward__keep_convention.py": {
        "dropout_forward: fraction of units dropped": (2, "keep_convention"),
    },
    "wrong/dropout_forward__leftover_print.py": {
        "dropout_forward: prints nothing": (0.5, "leftover_print"),
    },
    "wrong/dropout_forward__modifies_input.py": {
        "dropout_forward: input not modified": (0.5, "input_modified"),
    },
    "wrong/dropout_forward__no_rescale.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": (2, "missing_rescale"),
        "dropout_forward: mean preserved": (0, "missing_rescale"),
    },
    "wrong/dropout_forward__randn_below_keep.py": {
        "dropout_forward: fraction of units dropped": (2, "randn_mask"),
        "dropout_forward: mean preserved": (0, "randn_mask"),
    },
    "wrong/dropout_forward__randn_mask.py": {
        "dropout_forward: fraction of units dropped": (2, "randn_mask"),
        "dropout_forward: mean preserved": (0, "randn_mask"),
    },
    "wrong/dropout_forward__returns_none.py": {
        "dropout_forward: prints nothing": (0.5, ""),
        "dropout_forward: fraction of units dropped": (2, "returned_none"),
        "dropout_forward: kept units scaled by 1/(1-p)": (2, "returned_none"),
        "dropout_forward: mean preserved": (0, "returned_none"),
        "dropout_forward: seeding": (1, ""),
        "dropout_forward: test mode is the identity": (1, ""),
        "dropout_forward: input not modified": (0.5, ""),
        "dropout_forward: works for any number of dimensions": (1, ""),
    },
    "wrong/dropout_forward__scale_at_test.py": {
        "dropout_forward: kept units scaled by 1/(1-p)": (2, "missing_rescale"),
        "dropout_forward: mean preserved": (0, "missing_rescale"),
        "dropout_forward: test mode is the identity": (1, "scaled_at_test"),
    },
    "wrong/dropout_forward__test_mode_masks.py": {
        "dropout_forward: test mode is the identity": (1, "scaled_at_test"),
    },
    "wrong/dropout_forward__test_mode_times_p.py": {
        "dropout_forward: test mode is the identity": (1, "scaled_at_test"),
    },
    "wrong/dropout_forward__two_d_only.py": {
        "dropout_forward: works for any number of dimensions": (1, "two_d_only"),
    },
    "wrong/dropout_forward__whole_columns.py": {
        "dropout_forward: fraction of units dropped": (2, "drop_rows"),
        "dropout_forward: mean preserved": (0, ""),
    },
    "wrong/dropout_forward__whole_rows.py": {
        "dropout_forward: fraction of units dropped": (2, "drop_rows"),
    },
}


def _assignment(path) -> str:
    return "ex08_cs231n" if path.parent.name == "keep" else assignment_for(path)


def test_every_single_mistake_fixture_is_in_the_matrix():
    files = {f"{p.parent.name}/{p.name}" for folder in ("wrong", "keep") for p in (SUBMISSIONS / folder).glob("*.py")}
    assert files == set(MATRIX)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_fixture_fails_exactly_its_tests(variant_grader, name):
    path = SUBMISSIONS / name
    report = variant_grader(_assignment(path)).grade(path.read_bytes(), seed=1, training=False)
    failed = {t.name: (round(t.max_score - t.score, 6), t.hint) for t in report.tests if t.status.value != "passed"}
    assert failed == MATRIX[name]


@pytest.mark.parametrize("name", sorted(n for n in MATRIX if n.startswith("wrong/")))
def test_one_hint_costs_at_most_one_paid_test_unless_listed(variant_grader, name):
    path = SUBMISSIONS / name
    report = variant_grader(_assignment(path)).grade(path.read_bytes(), seed=1, training=False)
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
