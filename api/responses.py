"""What the API answers for a submission (upload, read, list, LMS webhook)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from service import report_view, visibility
from service.db.models import Submission


def submission_body(row: Submission, *, base_url: str, with_report: bool = True) -> dict[str, Any]:
    """The JSON of one submission: its status, timings, score, links and (optionally) the stored report."""
    link = f"{base_url}/api/v1/submissions/{row.id}"
    out: dict[str, Any] = {
        "id": row.id, "status": row.status, "assignment": row.assignment, "sha256": row.sha256,
        "received_at": _iso(row.received_at), "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at), "attempts": row.attempts, "score": row.score,
        "max_score": row.max_score, "error": row.error,
        "links": {"self": link, "events": f"{link}/events"},
    }
    if with_report:
        out["report"] = json.loads(row.report) if row.report else None
    return out


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t else None


def submission_body_for_student(row: Submission, *, base_url: str, release_at: datetime | None,
                                with_report: bool = True) -> dict[str, Any]:
    """:func:`submission_body` as its student sees it: score, error and report without hidden tests."""
    out = submission_body(row, base_url=base_url, with_report=False)
    report = visibility.for_student(report_view.parse(row.report), release_at=release_at)
    out.update(score=report["score"] if report else None, max_score=report["max_score"] if report else None,
               error=visibility.error_for_student(row.error, release_at=release_at))
    if with_report:
        out["report"] = report
    return out
