"""The one projection of ``grader.report`` that leaves the service: a test's summary.

Per-test progress events (SSE), the LMS grade payload and the redacted view a
student gets all show a test through :func:`test_summary`; the stored report
is read back with :func:`parse`. Nothing else picks fields out of report dicts.
"""

from __future__ import annotations

from typing import Any

from grader.report import Report, TestResult

SUMMARY_FIELDS = ("number", "name", "status", "score", "max_score", "visibility")


def test_summary(test: TestResult) -> dict[str, Any]:
    """What progress events and LMS payloads carry of one test (no output, hint or data)."""
    d = test.to_dict()
    return {k: d[k] for k in SUMMARY_FIELDS}


def parse(report_json: str | None) -> Report | None:
    """A stored report (``Submission.report``), or None when there is none yet."""
    return Report.from_json(report_json) if report_json else None
