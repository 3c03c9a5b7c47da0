"""The pages' filters (api/formats.py) on their own."""

from api.formats import without_hint

MISTAKES = [{"hint": "keep_convention", "summary": "Keep a unit when rand >= p.", "tests": ["3"],
             "points": 2}]


def test_the_hint_is_left_out_by_the_reports_own_text():
    output = "Measured 0.3 of the units dropped.\n\nHint: Keep a unit when rand >= p."
    assert without_hint(output, "keep_convention", MISTAKES) == "Measured 0.3 of the units dropped."


def test_feedback_without_that_exact_hint_is_kept_whole():
    changed = "Measured 0.3.\n\nHint: an older wording of the hint."
    assert without_hint(changed, "keep_convention", MISTAKES) == changed
    assert without_hint("Measured 0.3.", "missing_rescale", MISTAKES) == "Measured 0.3."
