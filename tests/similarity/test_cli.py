"""`autograder similarity` through click's CliRunner, and once as a real process of the console script."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from grader.cli import cli
from grader.similarity import THRESHOLD
from tests.conftest import ROOT, SUBMISSIONS
from tests.similarity.disguise import KINDS, disguise

STARTER = ROOT / "reference" / "ex08" / "starter" / "layers.py"
SOURCE = SUBMISSIONS / "correct" / "dropout_float32_safe.py"


def test_json_has_the_issue_shape_and_the_disguised_copy_first(tmp_path):
    (tmp_path / "class").mkdir()
    copy = tmp_path / "class" / "copy.py"
    copy.write_text(disguise(SOURCE.read_text(), *KINDS, seed=1))
    result = CliRunner().invoke(cli, ["similarity", str(tmp_path / "class"), str(SUBMISSIONS / "correct"),
                                      "--assignment", "ex08", "--json", "--min-score", "0.2"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"threshold", "pairs"} and out["threshold"] == THRESHOLD
    for pair in out["pairs"]:
        assert set(pair) == {"a", "b", "score", "flagged", "matches"}
        assert 0.2 <= pair["score"] <= 1 and pair["flagged"] == (pair["score"] >= THRESHOLD)
        for m in pair["matches"]:
            assert set(m) == {"a_lines", "b_lines"} and m["a_lines"][0] <= m["a_lines"][1]
    with_copy = [p for p in out["pairs"] if str(copy) in (p["a"], p["b"])]
    assert {with_copy[0]["a"], with_copy[0]["b"]} == {str(copy), str(SOURCE)} and with_copy[0]["flagged"]
    assert [p["score"] for p in out["pairs"]] == sorted((p["score"] for p in out["pairs"]), reverse=True)


def test_a_match_with_a_known_solution_names_the_known_file(tmp_path):
    known = tmp_path / "known"
    known.mkdir()
    (known / "public_2019.py").write_text(SOURCE.read_text())
    (known / "public_2020.py").write_text(SOURCE.read_text())  # two known files are never compared
    student = tmp_path / "student.py"
    student.write_text(disguise(SOURCE.read_text(), "rename", "swap", seed=2))
    result = CliRunner().invoke(cli,
                                ["similarity", str(student), "--known", str(known), "--assignment", "ex08",
                                      "--json"])
    pairs = json.loads(result.stdout)["pairs"]
    assert {(p["a"], p["b"]) for p in pairs} == {(str(student), str(known / "public_2019.py")),
                                                 (str(student), str(known / "public_2020.py"))}
    assert all(p["flagged"] for p in pairs)


def test_two_untouched_starters_score_zero_and_are_not_shown_by_default(tmp_path):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(STARTER.read_text())
    args = ["similarity", str(tmp_path), "--assignment", "ex08", "--json"]
    assert json.loads(CliRunner().invoke(cli, args).stdout)["pairs"] == []
    (pair,) = json.loads(CliRunner().invoke(cli, [*args, "--min-score", "0"]).stdout)["pairs"]
    assert pair["score"] == 0 and not pair["flagged"] and pair["matches"] == []


def test_the_table_says_a_flag_is_a_reason_to_look_and_an_unknown_assignment_is_a_usage_error(tmp_path):
    (tmp_path / "bad.py").write_text("def broken(:\n")
    result = CliRunner().invoke(cli, ["similarity", str(SUBMISSIONS / "correct"), str(tmp_path / "bad.py"),
                                      "--min-score", "0.9"])
    assert result.exit_code == 0 and "not a verdict" in result.stdout and "FLAG" in result.stdout
    assert "skipped" in result.stderr and "bad.py" in result.stderr
    wrong = CliRunner().invoke(cli, ["similarity", str(SOURCE), "--assignment", "ex8"])
    assert wrong.exit_code == 2 and "Did you mean 'ex08'" in wrong.output


def test_the_console_script_offers_similarity(tmp_path):
    (tmp_path / "twin.py").write_text(SOURCE.read_text())
    out = subprocess.run([sys.executable, "-m", "autograder.cli", "similarity", str(SOURCE), str(tmp_path),
                          "--json", "--assignment", "ex08"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    (pair,) = json.loads(out.stdout)["pairs"]
    assert pair["score"] == 1.0 and pair["flagged"]
