"""`autograder grade` through click's CliRunner, and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from grader.cli import cli
from tests.conftest import ROOT, SUBMISSIONS

REFERENCE = ROOT / "reference" / "ex08" / "layers.py"
STARTER = ROOT / "reference" / "ex08" / "starter" / "layers.py"


def test_grade_json_is_the_report_and_exits_zero_even_at_zero_points():
    result = CliRunner().invoke(cli, ["grade", str(SUBMISSIONS / "robustness" / "syntax_error.py"),
                                      "--json", "--no-training"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["score"] == 0 and report["max_score"] > 0
    assert "SyntaxError" in report["output"]


def test_grade_table_lists_every_test_and_explains_failures():
    result = CliRunner().invoke(cli, ["grade", str(STARTER), "--no-training", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "ex08:" in result.stdout and "(seed 5," in result.stdout
    assert "FAIL" in result.stdout and "ok" in result.stdout
    assert "--- dropout_forward:" in result.stdout


def test_unknown_assignment_is_a_usage_error_with_suggestions():
    result = CliRunner().invoke(cli, ["grade", str(REFERENCE), "--assignment", "ex8", "--no-training"])
    assert result.exit_code == 2
    assert "Did you mean 'ex08'" in result.output


def test_installed_console_script_grades_the_reference(tmp_path):
    exe = ROOT / ".venv" / "bin" / "autograder"
    runner = [str(exe)] if exe.exists() else [sys.executable, "-m", "grader.cli"]
    out = subprocess.run([*runner, "grade", str(REFERENCE), "--json", "--no-training"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["score"] == report["max_score"] > 0


def test_explain_says_per_test_what_it_checks_its_points_and_why():
    result = CliRunner().invoke(cli, ["grade", str(STARTER), "--no-training", "--explain"])
    assert result.exit_code == 0, result.output
    assert "ex08: 0 / " in result.stdout  # the starter earns nothing
    assert "(given in the template, 0 points; check batchnorm_forward.train_output)" in result.stdout
    assert "pays only once dropout_forward does its job: in train mode on a 40x50 input" in result.stdout
    assert result.stdout.count("  checks: ") == result.stdout.count("  verdict: ") >= 20


def test_a_mistake_that_fails_two_tests_is_listed_once_with_what_it_costs():
    path = SUBMISSIONS / "wrong" / "dropout_forward__float64_output.py"
    result = CliRunner().invoke(cli, ["grade", str(path), "--no-training"])
    assert "1 mistake found:" in result.stdout
    assert ("costs 3 points in tests dropout_forward: kept units scaled by 1/(1-p), dropout_forward: test "
            "mode "
            "is the identity") in result.stdout
    assert result.stdout.count("the template ends dropout_forward with out = out.astype") == 1
