"""Who is a student of the course: the gradebook, the CSV and the overview count exactly these."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from service.db.lti_models import LtiAccount
from service.db.models import Student, Submission, Token


def course_member() -> Any:
    """SQL condition on ``Student``: a student of the course (not an instructor; an active token, an
    LTI launch, or any submission, which covers every student an LMS webhook sent)."""
    return (Student.is_instructor == False) & or_(  # noqa: E712 - SQL, not Python
        exists().where(Token.student_id == Student.id, Token.revoked_at.is_(None)),
        exists().where(LtiAccount.student_id == Student.id),
        exists().where(Submission.student_id == Student.id))
