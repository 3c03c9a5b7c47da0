"""The grading library's commands: ``autograder grade``, ``doctor``, ``similarity`` and ``check-assignment``.

The ``autograder`` entry point (autograder/cli.py) adds the service's commands to
this group; these work without any service dependency.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from grader.report import Report, Status

_MARK = {Status.PASSED: "ok", Status.FAILED: "FAIL", Status.ERROR: "ERROR", Status.TIMEOUT: "TIMEOUT",
         Status.INTERNAL_ERROR: "INTERNAL"}


@click.group()
def cli() -> None:
    """Grade deep-learning exercises, locally or as a service."""


@cli.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (Gradescope-compatible).")
@click.option("--no-training", is_flag=True, help="Skip the (slower) training checks.")
@click.option("--seed", type=int, default=0, show_default=True, help="Grading seed; same seed, same report.")
@click.option("--assignment", default="ex08", show_default=True, help="Assignment id.")
@click.option("--convention", type=click.Choice(["drop", "keep"]), default=None,
              help="Override the assignment's dropout convention.")
@click.option("--training-data", default="digits", show_default=True,
              help="Data of the training check: digits, or the path of a local FashionMNIST folder.")
@click.option("--insecure", is_flag=True, help="Development only: grade even without the minimal sandbox.")
@click.option("--explain", is_flag=True,
              help="For a TA: per test, what it checks and on which input, its points, and why it passed or "
                   "failed.")
def grade(path: Path, as_json: bool, no_training: bool, seed: int, assignment: str,
          convention: str | None, training_data: str, insecure: bool, explain: bool) -> None:
    """Grade the student's file PATH and print the report."""
    _single_threaded()
    from grader.assignments import UnknownAssignment
    from grader.runner import grade as grade_source

    try:
        report = grade_source(path.read_bytes(), assignment=assignment, seed=seed, training=not no_training,
                              insecure=insecure, dropout_convention=convention,
                              options={"training_data": training_data})
    except UnknownAssignment as exc:
        raise click.BadParameter(str(exc), param_hint="--assignment") from None
    if as_json:
        click.echo(report.to_json(indent=2))
    else:
        click.echo(explain_report(report, assignment, convention) if explain else render(report))


@cli.command()
def doctor() -> None:
    """Show which sandbox layers this host allows, and whether grading may run."""
    from grader.sandbox import doctor as sandbox_doctor

    click.echo(sandbox_doctor.report_text())


@cli.command("check-assignment")
@click.argument("assignment_id", metavar="ID")
@click.option("--seeds", type=click.IntRange(min=1), default=100, show_default=True,
              help="Grading seeds the solution must earn full marks at.")
@click.option("--no-training", is_flag=True, help="Skip the training checks (they run once otherwise).")
@click.option("--insecure", is_flag=True, help="Development only: grade even without the minimal sandbox.")
def check_assignment(assignment_id: str, seeds: int, no_training: bool, insecure: bool) -> None:
    """Check the exercise ID before students see it: solution, starter and every fixture.

    The solution must earn full marks at every seed, the starter nothing, each correct/ fixture full
    marks, each wrong/ fixture lose points in its own function only. Exits with 1 when anything fails.
    """
    _single_threaded()
    from grader import assignment_check
    from grader.assignments import UnknownAssignment

    def show(finding: assignment_check.Finding) -> None:
        click.echo(f"  {'ok' if finding.ok else 'FAIL':<5} {finding.what}: {finding.detail}")

    click.echo(f"check-assignment {assignment_id}")
    try:
        findings = assignment_check.check(assignment_id, seeds=seeds, training=not no_training,
                                          insecure=insecure, progress=show)
    except UnknownAssignment as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None
    failed = [f for f in findings if not f.ok]
    click.echo(f"{assignment_id}: {len(findings) - len(failed)} of {len(findings)} checks passed")
    if failed:
        raise SystemExit(1)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--assignment", default=None,
              help="Subtract what this assignment hands out (its starter, given code).")
@click.option("--known", "known_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="Folder of known solutions (previous years, public): every file is compared with each.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: threshold and pairs.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None,
              help="Show pairs scoring at least this much [default: the threshold].")
def similarity(paths: tuple[Path, ...], assignment: str | None, known_dir: Path | None, as_json: bool,
               min_score: float | None) -> None:
    """Compare the files PATH... (folders: every .py file in them) with each other, highest score first."""
    import json

    from grader.assignments import UnknownAssignment
    from grader.similarity import compare

    submissions = _python_files(paths)
    known = _python_files((known_dir,)) if known_dir else {}
    try:
        result = compare(submissions, known=known, assignment=assignment, min_score=min_score)
    except UnknownAssignment as exc:
        raise click.BadParameter(str(exc), param_hint="--assignment") from None
    for name, why in result.skipped.items():
        click.echo(f"skipped {name}: {why}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    click.echo(f"{len(result.pairs)} pair(s) at or above "
               f"{result.threshold if min_score is None else min_score:g}"
               f" (flagged from {result.threshold:g}); a flag is a reason to look, not a verdict")
    for p in result.pairs:
        where = ", ".join(f"{m.a_lines[0]}-{m.a_lines[1]}~{m.b_lines[0]}-{m.b_lines[1]}"
                          for m in p.matches[:6])
        click.echo(f"{p.score:5.2f} {'FLAG' if p.score >= result.threshold else '    '} {p.a}  {p.b}  "
                   f"[{where}]")


def _python_files(paths: tuple[Path, ...]) -> dict[str, str]:
    """Path (as given) -> source, for each file and each .py file under each folder; undecodable bytes
    replaced."""
    files = [f for p in paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])]
    return {str(f): f.read_text(encoding="utf-8", errors="replace") for f in files}


def render(report: Report) -> str:
    """The report as a table a student reads in a terminal; each mistake once, with the tests it costs."""
    lines = [f"{report.assignment}: {report.score:g} / {report.max_score:g} points  "
             f"(seed {report.seed}, {report.execution_time:.2f} s)", ""]
    width = max((len(t.name) for t in report.tests), default=10)
    for t in report.tests:
        lines.append(f"  {_MARK[t.status]:<8} {t.name:<{width}}  {t.score:g}/{t.max_score:g}")
    by_number = {t.number: t for t in report.tests}
    count = len(report.mistakes)
    if count:
        lines += ["", f"{count} mistake{'s' if count != 1 else ''} found:"]
    for i, mistake in enumerate(report.mistakes, start=1):
        names = ", ".join(by_number[n].name for n in mistake.tests)
        tests = "test" if len(mistake.tests) == 1 else "tests"
        lines += ["",
                  f"=== {i}. costs {mistake.points:g} point{'s' if mistake.points != 1 else ''} in {tests} "
                  f"{names}", mistake.summary]
        hint = f"\n\nHint: {mistake.summary}" if mistake.hint else ""  # shown once, above: the report's text
        for n in mistake.tests:
            t = by_number[n]
            feedback = t.output.replace(hint, "") if hint else t.output
            lines += ["", f"--- {t.name} [{t.status.value}]", feedback]
    if report.output:
        lines += ["", report.output]
    if report.printed:
        lines += ["", "What your code printed while being graded:", report.printed]
    return "\n".join(lines)


def explain_report(report: Report, assignment: str, convention: str | None) -> str:
    """Per test: what it checks and on which input (the check's own description), points, verdict and why."""
    from grader.assignments import load
    from grader.checks import loader, registry

    loader.load()
    specs = {t.number: t for t in load(assignment, dropout_convention=convention).tests}
    lines = [render(report).split("\n", 1)[0], ""]
    for t in report.tests:
        spec = specs[t.number]
        status = "given in the template, 0 points" if spec.given else f"{spec.points:g} points"
        gate = ""
        if spec.requires:
            gate_doc = (registry.get_gate(spec.requires).__doc__ or "").strip()
            gate = f"\n  pays only once {spec.requires.split('.')[0]} does its job: {gate_doc}"
        checks = (registry.get(spec.check).__doc__ or "").strip()
        lines += [f"{t.number}. {t.name} ({status}; check "
                  f"{spec.check}{', ' + str(spec.params) if spec.params else ''})",
                  f"  checks: {checks}{gate}", f"  verdict: {t.status.value}, {t.score:g}/{t.max_score:g}",
                  "  why: " + t.output.replace("\n", "\n       "), ""]
    return "\n".join(lines)


def _single_threaded() -> None:
    # The sandbox forks; a BLAS/OpenMP pool started before a fork can hang the child.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def main() -> None:
    cli(prog_name="autograder")


if __name__ == "__main__":
    main()
