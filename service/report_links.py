"""Signed links: a report link a student can open without a token (sent to the LMS with the grade)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from service.settings import Settings

SALT = "report-link"


def report_link(settings: Settings, submission_id: str) -> str:
    token = URLSafeSerializer(settings.secret_key.get_secret_value(), salt=SALT).dumps(submission_id)
    return f"{settings.base_url}/student/reports/{token}"


def submission_from_link(settings: Settings, token: str) -> str | None:
    """The submission id a report link names, or None when the link was not signed by us."""
    try:
        value = URLSafeSerializer(settings.secret_key.get_secret_value(), salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
