"""Who an LTI launch signs in: the student ``<platform>:<sub>``, their claims, and the line item their grade
goes to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.lti_models import LtiAccount, LtiLineItem
from service.db.models import Student, utcnow
from service.lti.launch import Outcome
from service.tokens import create_token


def sign_in(*, session: Session, outcome: Outcome) -> tuple[Student, str]:
    """The student (created on the first launch) and a fresh token for their page session."""
    token = create_token(session=session, student=outcome.student_name)
    student = session.scalar(select(Student).where(Student.name == outcome.student_name))
    assert student is not None
    p = outcome.platform
    account = session.scalar(select(LtiAccount).where(
        LtiAccount.issuer == p.issuer, LtiAccount.client_id == p.client_id, LtiAccount.sub == outcome.sub))
    account = account or LtiAccount(student_id=student.id, issuer=p.issuer, client_id=p.client_id,
                                    sub=outcome.sub)
    account.full_name = outcome.full_name or account.full_name
    account.email = outcome.email or account.email
    account.last_launch_at = utcnow()
    session.add(account)
    if outcome.lineitem:
        item = session.scalar(select(LtiLineItem).where(LtiLineItem.student_id == student.id,
                                                        LtiLineItem.lineitem_url == outcome.lineitem))
        item = item or LtiLineItem(student_id=student.id, lineitem_url=outcome.lineitem, issuer=p.issuer,
                                   client_id=p.client_id, user_id=outcome.sub, assignment=outcome.assignment)
        item.assignment = outcome.assignment
        session.add(item)
    session.commit()
    return student, token
