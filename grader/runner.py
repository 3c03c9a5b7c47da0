"""Grading one submission: open the sandbox, run every test of the assignment, build the report.

:class:`Grader` is what a worker process holds: it loads the assignment and
the reference once, keeps the sandbox factory (and its zygote) warm, and
grades submission after submission. :func:`grade` is the one-shot form the
CLI uses. The mapping from "how a call ended" to a test status lives here,
in :func:`_run_test`, so that every check gets the same treatment.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import time
from collections.abc import Callable
from typing import Any

from grader import __version__
from grader.assignments import Assignment, TestSpec, load
from grader.checks import loader, registry
from grader.checks.support.context import CheckContext, Fail, Verdict, derive_seed
from grader.feedback import hint_text
from grader.mistakes import group
from grader.report import Report, Status, TestResult
from grader.sandbox import Limits, SandboxFactory
from grader.sandbox.interface import (
    CallTimedOut,
    ChildDied,
    ImportFailed,
    MissingFunction,
    NotData,
    Sandbox,
    SandboxError,
    StudentRaised,
)

log = logging.getLogger(__name__)

Progress = Callable[[TestResult], None]


class Grader:
    """A warm grader for one assignment; reusable across submissions, not thread-safe."""

    def __init__(self, assignment: str = "ex08", *, insecure: bool = False, device: str | None = None,
                 dropout_convention: str | None = None, options: dict[str, Any] | None = None,
                 call_timeout: float | None = None, factory: SandboxFactory | None = None) -> None:
        self.assignment: Assignment = load(assignment, dropout_convention=dropout_convention)
        self.reference = importlib.import_module(self.assignment.reference_module)
        self.options = {"device": device, **(options or {})}
        # The judge kills the child at the submission's budget, mid-call if need be (not only between tests).
        limits = Limits(call_timeout=call_timeout or self.assignment.call_timeout,
                        submission_timeout=self.assignment.submission_timeout)
        self.factory = factory or SandboxFactory(insecure=insecure, limits=limits)
        self.timings: dict[str, float] = {}
        """Seconds per test of the last submission graded (for benchmarks; not in the report)."""
        self.round_trips: tuple[int, float] = (0, 0.0)
        """Requests to the student's side for the last submission, and the seconds spent in them (benchmarks)."""
        loader.load()
        for test in self.assignment.tests:
            registry.get(test.check)  # an unknown check name fails now, not mid-grading

    def warm_up(self) -> None:
        """Pay the one-time costs (imports, reference training runs) before the first submission."""
        # Each training check's module trains and caches its reference runs (``warm_up``), once per process.
        for module in dict.fromkeys(registry.get(t.check).__module__ for t in self.assignment.tests if t.training):
            warm_up = getattr(importlib.import_module(module), "warm_up", None)
            if warm_up is not None:
                warm_up(self.assignment, self.options)

    def close(self) -> None:
        self.factory.close()

    def grade(self, source: bytes, *, seed: int = 0, training: bool = True,
              progress: Progress | None = None) -> Report:
        """Grade ``source`` (the bytes of the student's file); the same seed gives the same report."""
        started = time.monotonic()
        self.timings, self.round_trips = {}, (0, 0.0)
        tests = [t for t in self.assignment.tests if training or not t.training]
        notes = [] if training else ["The training checks were skipped (--no-training)."]
        try:
            sandbox = self.factory.open(source)
        except (ImportFailed, ChildDied, CallTimedOut) as exc:  # the student's code, while being imported
            message, status = _open_failure(exc)
            results = [_result(t, status, message, data={"cause": "import"}) for t in tests]
            output = "\n".join([message, *notes])
            return self._report(results, output, seed, source, started)
        try:
            results = self._run_all(_TimeoutMemo(sandbox), tests, seed, started, progress)
            printed = sandbox.output()
        finally:
            self.round_trips = (getattr(sandbox, "round_trips", 0), getattr(sandbox, "round_trip_seconds", 0.0))
            sandbox.close()
        if printed:
            notes.append("What your code printed while being graded:\n" + printed)
        return self._report(results, "\n\n".join(notes), seed, source, started)

    def _run_all(self, sandbox: Sandbox, tests: list[TestSpec], seed: int, started: float,
                 progress: Progress | None) -> list[TestResult]:
        shared: dict[str, Any] = {}
        results = []
        for test in tests:
            if time.monotonic() - started > self.assignment.submission_timeout:
                result = _result(test, Status.TIMEOUT, "Not run: your submission used up its total time "
                                                       f"({self.assignment.submission_timeout:g} s).")
            else:
                ctx = CheckContext(sandbox=sandbox, reference=self.reference, assignment=self.assignment,
                                   test=test, seed=derive_seed(seed, test.name), shared=shared,
                                   options=self.options)
                t0 = time.monotonic()
                result = _run_test(ctx)
                self.timings[test.name] = time.monotonic() - t0
            results.append(result)
            if progress is not None:
                progress(result)
        return results

    def _report(self, results: list[TestResult], output: str, seed: int, source: bytes,
                started: float) -> Report:
        return Report(
            score=round(sum(r.score for r in results), 6),
            max_score=sum(r.max_score for r in results),
            execution_time=round(time.monotonic() - started, 3),
            output=output, tests=results, assignment=self.assignment.id, seed=seed,
            grader_version=__version__, submission_sha256=hashlib.sha256(source).hexdigest(),
            sandbox=self.factory.describe(), mistakes=group(results),
        )


def grade(source: bytes, *, assignment: str = "ex08", seed: int = 0, training: bool = True,
          insecure: bool = False, device: str | None = None, dropout_convention: str | None = None,
          options: dict[str, Any] | None = None) -> Report:
    """Grade one submission with a fresh :class:`Grader` (the CLI's path)."""
    grader = Grader(assignment, insecure=insecure, device=device, dropout_convention=dropout_convention,
                    options=options)
    try:
        if training:
            grader.warm_up()
        return grader.grade(source, seed=seed, training=training)
    finally:
        grader.close()


class _TimeoutMemo:
    """A sandbox that remembers which calls timed out and fails the same kind of call at once.

    A student whose function loops forever should wait one timeout, not one per
    test. "The same kind" is the function and the ``mode`` it was called in
    (read from a bn_param/dropout_param dict among the arguments), so an endless
    loop in the train branch does not cost the test-mode tests of a correct
    test branch.
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._timed_out: dict[tuple[str, str | None], CallTimedOut] = {}

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._remembered(self._sandbox.call, function, *args, **kwargs)

    def call_fetch(self, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._remembered(self._sandbox.call_fetch, function, *args, **kwargs)

    def _remembered(self, call: Callable[..., Any], function: str, *args: Any, **kwargs: Any) -> Any:
        key = (function, _mode_of([*args, *kwargs.values()]))
        if key in self._timed_out:
            raise self._timed_out[key]
        try:
            return call(function, *args, **kwargs)
        except CallTimedOut as exc:
            exc.function = function  # type: ignore[attr-defined]
            self._timed_out[key] = exc
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sandbox, name)


def _mode_of(args: list[Any]) -> str | None:
    """The ``mode`` of the first param dict among the arguments (also inside a cache tuple)."""
    for arg in args:
        if isinstance(arg, dict) and isinstance(arg.get("mode"), str):
            return str(arg["mode"])
        if isinstance(arg, tuple | list) and (mode := _mode_of(list(arg))) is not None:
            return mode
    return None


def _run_test(ctx: CheckContext) -> TestResult:
    """Run one check and turn however it ended into a scored result."""
    loader.load()
    check = registry.get(ctx.test.check)
    try:
        verdict = _ungated(ctx) or check(ctx)
    except Fail as exc:
        verdict = Verdict(False, exc.message, hint=exc.hint, data=exc.data)
    except MissingFunction as exc:
        verdict = Verdict(False, f"{exc} (it must keep exactly this name).", data={"cause": f"missing:{exc.name}"})
    except NotData as exc:
        verdict = Verdict(False, f"Your function returned {exc.what}, where plain numbers or numpy "
                                 "arrays were expected.")
    except StudentRaised as exc:
        return _result(ctx.test, Status.ERROR, _raised_message(exc), data={"cause": _raised_cause(exc)})
    except CallTimedOut as exc:
        who = getattr(exc, "function", "code")
        return _result(ctx.test, Status.TIMEOUT, f"Your {who} {exc} and was stopped (once it timed out, it "
                                                 "is not called again in the same mode for this submission). Look for an "
                                                 "endless loop, or for work that grows much faster than the input.",
                       data={"cause": f"timeout:{who}"})
    except ChildDied as exc:
        return _result(ctx.test, Status.ERROR, f"Your code crashed: {exc.reason}. This happens on "
                                               "os._exit/sys.exit, on exceeding the memory limit, or on "
                                               "forbidden operations (subprocesses, network, files "
                                               "outside the working folder).", data={"cause": f"crash:{exc.reason}"})
    except Exception:
        log.exception("check %s failed internally", ctx.test.check)
        return _result(ctx.test, Status.INTERNAL_ERROR, "The grader failed on this test; this is not "
                                                        "your fault, and the submission will be regraded.")
    return _scored(ctx.test, verdict)


def _ungated(ctx: CheckContext) -> Verdict | None:
    """A failing verdict, not run, when the test's function does not do its job yet; else None.

    A property such as "input not modified" also holds for code that does nothing, so it pays only
    once the function does recognisably its job: the test's gate decides that, once per submission.
    """
    name = ctx.test.requires
    if not name:
        return None
    key = f"gate:{name}"
    if key not in ctx.shared:
        try:
            ctx.shared[key] = registry.get_gate(name)(ctx)
        except SandboxError as exc:  # the student's exception, a hang, a crash: each gated test ends so too
            ctx.shared[key] = exc
    reason = ctx.shared[key]
    if isinstance(reason, Exception):
        raise reason
    if reason is None:
        return None
    function = name.split(".")[0]
    doc = (registry.get_gate(name).__doc__ or "").strip().splitlines()[0]
    return Verdict(False, f"Not scored yet: this test pays only once {function} does its job ({doc.rstrip('.')}), "
                          f"and it does not: {reason.rstrip('.')}. The other {function} tests say what is "
                          "missing; this one was not run.", data={"gate": name})


def _scored(test: TestSpec, verdict: Verdict) -> TestResult:
    fraction = verdict.fraction if verdict.fraction is not None else (1.0 if verdict.passed else 0.0)
    fraction = min(1.0, max(0.0, fraction))
    output = verdict.message
    if verdict.hint:
        output += "\n\nHint: " + hint_text(verdict.hint)
    if test.given:
        output += ("\n\n(This code is handed out in the template: the test is reported, for 0 points. "
                   "If it fails, the handed-out code was changed.)")
    status = Status.PASSED if verdict.passed else Status.FAILED
    return _result(test, status, output, score=round(test.points * fraction, 6), hint=verdict.hint,
                   data=verdict.data)


def _result(test: TestSpec, status: Status, output: str, *, score: float = 0.0, hint: str = "",
            data: dict[str, Any] | None = None) -> TestResult:
    return TestResult(name=test.name, number=test.number, score=score, max_score=test.points,
                      status=status, output=output, visibility=test.visibility, tags=[test.tag],
                      check=test.check, hint=hint, data=data or {})


def _open_failure(exc: ImportFailed | ChildDied | CallTimedOut) -> tuple[str, Status]:
    if isinstance(exc, ImportFailed):
        return _import_message(exc), Status.ERROR
    if isinstance(exc, CallTimedOut):
        return (f"Importing your layers.py {exc} and was stopped, so no test could run. Look for code at "
                "the top level of the file (outside any function) that loops or waits."), Status.TIMEOUT
    return (f"Your layers.py could not be loaded, so no test could run: {exc.reason}. Run the file once "
            "with `python layers.py` and keep the file to function definitions."), Status.ERROR


def _import_message(exc: ImportFailed) -> str:
    return (f"Your layers.py could not be imported, so no test could run: {exc.message}. "
            "Fix this error first (run the file once with `python layers.py`).")


def _raised_cause(exc: StudentRaised) -> str:
    """One exception, one cause: the same type raised at the same line (or with the same message)."""
    return f"raised:{exc.exc_type}:" + (f"line {exc.line}" if exc.line else exc.message[:200])


def _raised_message(exc: StudentRaised) -> str:
    where = f" at line {exc.line} of your layers.py" if exc.line else ""
    return f"Your code raised {exc.exc_type}{where}: {exc.message}"
