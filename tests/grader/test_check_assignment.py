"""``autograder check-assignment``: passes for a sound exercise, fails (exit 1, saying what) for a broken one."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

import grader.assignments
from grader.cli import cli
from tests.conftest import ROOT, SUBMISSIONS


def test_cs231n_conv_passes_with_its_fixtures():
    result = CliRunner().invoke(cli, ["check-assignment", "cs231n_conv", "--seeds", "2", "--no-training"])
    assert result.exit_code == 0, result.output
    assert "ok    starter reference/cs231n_conv/starter/layers.py: 0 points" in result.output
    assert "ok    wrong/conv_forward_naive__kernel_flipped.py: loses 3 in conv_forward_naive" in result.output
    assert "ok    correct/loops.py: full marks" in result.output


@pytest.fixture
def broken_copy(tmp_path, monkeypatch):
    """cs231n_conv with a fixture folder whose 'mistake' is correct code and whose correct file is the starter."""
    fixtures = tmp_path / "fixtures"
    (fixtures / "wrong").mkdir(parents=True)
    (fixtures / "correct").mkdir()
    shutil.copy(SUBMISSIONS / "cs231n_conv" / "correct" / "loops.py", fixtures / "wrong" / "conv_forward_naive__none.py")
    shutil.copy(ROOT / "reference" / "cs231n_conv" / "starter" / "layers.py", fixtures / "correct" / "starter.py")
    folder = tmp_path / "reference" / "cs231n_conv"
    shutil.copytree(ROOT / "reference" / "cs231n_conv", folder)
    toml = (folder / "assignment.toml").read_text()
    (folder / "assignment.toml").write_text(toml.replace('filename = "layers.py"',
                                                         f'filename = "layers.py"\nfixtures = "{fixtures}"'))
    monkeypatch.setattr(grader.assignments, "REFERENCE_DIR", tmp_path / "reference")
    grader.assignments.load.cache_clear()
    yield
    grader.assignments.load.cache_clear()


def test_a_broken_exercise_fails_and_says_what(broken_copy):
    result = CliRunner().invoke(cli, ["check-assignment", "cs231n_conv", "--seeds", "1", "--no-training"])
    assert result.exit_code == 1, result.output
    assert "FAIL  wrong/conv_forward_naive__none.py: fails no test of conv_forward_naive" in result.output
    assert "FAIL  correct/starter.py: conv_forward_naive: cross-correlation" in result.output
    assert "cs231n_conv: 2 of 4 checks passed" in result.output


def test_unknown_assignment_is_refused():
    result = CliRunner().invoke(cli, ["check-assignment", "cs231n_cnv"])
    assert result.exit_code == 2 and "Did you mean 'cs231n_conv'?" in result.output


def test_the_autograder_command_offers_it():
    from autograder.cli import cli as autograder

    result = CliRunner().invoke(autograder, ["check-assignment", "--help"])
    assert result.exit_code == 0 and "--seeds INTEGER RANGE" in result.output and "default: 100" in result.output
