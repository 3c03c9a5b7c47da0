"""What the API answers for a submission (upload, read, list, LMS webhook)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

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
