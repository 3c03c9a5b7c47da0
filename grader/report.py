"""The report: the one result model shared by the CLI, the worker, the database and the API.

It is a superset of Gradescope's ``results.json``: a report serialised with
:meth:`Report.to_dict` uploads to Gradescope unchanged, and our own fields
(``assignment``, ``seed``, ``grader_version``, ``submission_sha256``,
``sandbox``, ``mistakes``, ``printed``) ride along as extra keys that Gradescope ignores.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """How one test ended. Every value but ``INTERNAL_ERROR`` is the student's doing."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the student's code raised, crashed or returned something unusable
    TIMEOUT = "timeout"  # the student's code ran past its wall-clock limit
    INTERNAL_ERROR = "internal_error"  # the grader itself failed: ours, never the student's; retried


@dataclass
class TestResult:
    """One graded test, as Gradescope reads it (plus ``status``, ``tags`` and ``data``)."""

    __test__ = False  # not a pytest test class

    name: str
    """Human title, e.g. ``batchnorm_forward: running averages``."""
    number: str
    """Stable position in the assignment ("1", "2", ...), used to sort and to link."""
    score: float
    """Points earned."""
    max_score: float
    """Points available; 0 for informational tests."""
    status: Status
    """Outcome, see :class:`Status`."""
    output: str = ""
    """Feedback for the student: what was checked, expected, measured, and a hint."""
    visibility: str = "visible"
    """Gradescope visibility: ``visible``, ``hidden``, ``after_due_date`` or ``after_published``."""
    tags: list[str] = field(default_factory=list)
    """Exactly one area tag (``batchnorm_forward``, ``dropout_backward``, ``training``...)."""
    check: str = ""
    """Registered name of the check that produced this result."""
    hint: str = ""
    """Name of the known mistake recognised, if any (``keep_convention``...); empty otherwise."""
    data: dict[str, Any] = field(default_factory=dict)
    """Machine-readable extras (e.g. the training curves); never needed to read the feedback."""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["status"] = self.status.value
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TestResult:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["status"] = Status(known["status"])
        return cls(**known)


@dataclass
class Mistake:
    """One cause behind one or more failed tests, reported once with what it costs in all of them."""

    hint: str
    """Key of the recognised mistake (:data:`grader.feedback.HINTS`); empty when none was named."""
    summary: str
    """What went wrong, in one paragraph: the hint's text, or the first failed test's message."""
    tests: list[str]
    """Numbers of the tests it failed, in assignment order."""
    points: float
    """Points it costs, summed over those tests."""


LEGACY_PRINTED = "What your code printed while being graded:\n"
"""How reports stored before ``printed`` existed quoted it at the end of ``output``."""


def _legacy_split(output: str) -> tuple[str, str]:
    """A stored report's ``output`` of before ``printed``: our notes, and what the code printed."""
    ours, _, printed = output.partition(LEGACY_PRINTED)
    return ours.rstrip("\n"), printed


@dataclass
class Report:
    """The whole grade of one submission."""

    score: float
    """Sum of the tests' scores."""
    max_score: float
    """Sum of the tests' maximum scores."""
    execution_time: float
    """Seconds spent grading, wall clock."""
    output: str
    """Submission-level feedback, ours: import errors, sandbox notes (never what the code printed)."""
    tests: list[TestResult]
    """One entry per test, in assignment order."""
    assignment: str
    """Assignment id, e.g. ``ex08``."""
    seed: int
    """Grading seed: regrading with the same seed gives the same report."""
    grader_version: str
    """Version of this package that graded."""
    submission_sha256: str
    """SHA-256 of the submitted bytes."""
    sandbox: dict[str, Any] = field(default_factory=dict)
    """Which isolation layers were active, and whether grading ran with ``--insecure``."""
    mistakes: list[Mistake] = field(default_factory=list)
    """The failed tests grouped by cause: a mistake that fails several tests is listed once."""
    printed: str = ""
    """What the student's code printed while being graded (stdout and stderr, capped); empty: nothing.
    Data apart from ``output``, so a student's view can withhold it (hidden tests' calls print too)."""

    @property
    def internal_error(self) -> bool:
        """True when any test failed through our fault: the worker retries such reports."""
        return any(t.status is Status.INTERNAL_ERROR for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["tests"] = [t.to_dict() for t in self.tests]
        return d

    def mistakes_shown(self, visible: set[str]) -> list[Mistake]:
        """The mistakes as a student may see them while only the tests numbered ``visible`` are shown.

        A hidden test leaves no trace: it is dropped from every mistake, with its points; a mistake
        seen in hidden tests only is dropped; an unnamed one is summarised from a visible test.
        """
        by_number = {t.number: t for t in self.tests}
        shown = []
        for m in self.mistakes:
            tests = [n for n in m.tests if n in visible]
            if not tests:
                continue
            summary = m.summary if m.hint else by_number[tests[0]].output.split("\n\n", 1)[0].strip()
            points = round(sum(by_number[n].max_score - by_number[n].score for n in tests), 6)
            shown.append(Mistake(hint=m.hint, summary=summary, tests=tests, points=points))
        return shown

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "printed" not in d and LEGACY_PRINTED in d.get("output", ""):
            known["output"], known["printed"] = _legacy_split(d["output"])
        known["tests"] = [TestResult.from_dict(t) for t in d["tests"]]
        known["mistakes"] = [Mistake(**m) for m in d.get("mistakes", [])]
        return cls(**known)

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))
