"""Signed report links: a student's view of one report without a token (sent to the LMS with the grade).

A link names the submission and its revocation generation, and carries the
time it was made: it stops working after ``report_link_max_age_s`` or once
the instructor revokes the submission's links (:func:`revoke`, the
dashboard's button), whichever comes first.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from service.db.link_models import ReportLinkGeneration
from service.db.models import utcnow
from service.settings import Settings

SALT = "report-link"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=SALT)


def _generation(session: Session, submission_id: str) -> int:
    row = session.get(ReportLinkGeneration, submission_id)
    return row.generation if row else 0


def report_link(settings: Settings, submission_id: str, *, session: Session) -> str:
    token = _serializer(settings).dumps([submission_id, _generation(session, submission_id)])
    return f"{settings.base_url}/student/reports/{token}"


def submission_from_link(settings: Settings, token: str, *, session: Session) -> str | None:
    """The submission id a report link names, or None when it is forged, expired or revoked."""
    try:
        value = _serializer(settings).loads(token, max_age=settings.report_link_max_age_s)
    except BadSignature:  # SignatureExpired included
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        return None
    return value[0] if value[1] == _generation(session, value[0]) else None


def revoke(session: Session, submission_id: str) -> None:
    """Every link made so far for this submission stops working; links made from now on work."""
    row = session.get(ReportLinkGeneration, submission_id)
    if row is None:
        session.add(ReportLinkGeneration(submission_id=submission_id, generation=1))
    else:
        row.generation, row.revoked_at = row.generation + 1, utcnow()
    session.commit()
