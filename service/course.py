"""Who is a student of the course: the gradebook, the CSV and the overview count exactly these."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_

from service.db.lti_models import LtiAccount
from service.db.models import Student, Submission, Token
from service.lti import members as lti_members


def course_member() -> Any:
    """SQL condition on ``Student``: a student of the course (not an instructor): an active learner on an LTI
    course roster (Names and Roles, service.lti.roster), anyone with a submission (which covers every
    student an LMS webhook sent), and, for students no roster knows, an active token or an LTI launch. A
    learner the roster says left is listed only with a submission."""
    return (Student.is_instructor == False) & or_(  # noqa: E712 - SQL, not Python
        lti_members.active_learner(),
        exists().where(Submission.student_id == Student.id),
        ~lti_members.on_roster() & or_(exists().where(Token.student_id == Student.id, Token.revoked_at.is_(None)),
                                       exists().where(LtiAccount.student_id == Student.id)))
