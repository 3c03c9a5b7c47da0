"""One line item (gradebook column) per assignment and course, through AGS.

When a launch grants the ``…/scope/lineitem`` scope (and the score scope) and names
its course's line item container (``lineitems``), :func:`with_line_item` finds or
creates the line item of the launch's assignment in that course, and keeps it in
``lti_context_line_items``:

1. the one kept for (course, assignment);
2. else the launch's own ``lineitem``, unless another assignment of the course has
   it (the platform made it for this link: Moodle's activity, Canvas' assignment);
3. else a line item of the container whose ``resourceId`` is the assignment id;
4. else a new one: label, ``scoreMaximum`` (the assignment's points),
   ``resourceId`` = the assignment id, ``tag`` and the launch's resource link.

When a submission is graded, :func:`for_members` gives its student an
``lti_line_items`` row for that assignment's line item in every course they are
an active learner of (as the roster says), so :mod:`service.lti.scores` posts
each assignment's counted grade to its own column, also for learners who never
launched (a token upload). Without the container or the scope, the score goes to
the launch's ``lineitem``, as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.lineitem import LineItem
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.assignments import load
from service.db.lti_models import LtiContext, LtiContextLineItem, LtiLineItem, LtiMember
from service.lti.http import TimeoutSession
from service.lti.keys import tool_key
from service.lti.launch import AGS_CLAIM, RESOURCE_LINK_CLAIM, SCORE_SCOPE, Outcome
from service.settings import Settings

LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def container(claims: dict[str, Any]) -> str | None:
    """The course's line item container, when this launch may create line items in it (else None)."""
    ags = claims.get(AGS_CLAIM) or {}
    scopes = list(ags.get("scope") or [])
    if ags.get("lineitems") and SCORE_SCOPE in scopes and LINEITEM_SCOPE in scopes:
        return str(ags["lineitems"])
    return None


def with_line_item(session: Session, outcome: Outcome, claims: dict[str, Any], *, context: LtiContext | None,
                   settings: Settings) -> Outcome:
    """The outcome with its assignment's line item in this course (found or created); unchanged without the
    container and scope (the launch's ``lineitem``, if any, is used as it is)."""
    if context is None or container(claims) is None:
        return outcome
    url = _kept(session, context.id, outcome.assignment)
    if url is None:
        url = _find_or_create(session, outcome, claims, context=context, settings=settings)
        url = _keep(session, context.id, outcome.assignment, url)
    return replace(outcome, lineitem=url)


def _kept(session: Session, context_pk: int, assignment: str) -> str | None:
    return session.scalar(select(LtiContextLineItem.lineitem_url).where(
        LtiContextLineItem.context_pk == context_pk, LtiContextLineItem.assignment == assignment))


def _keep(session: Session, context_pk: int, assignment: str, url: str) -> str:
    """Kept for (course, assignment); when a launch at the same moment kept one first, that one."""
    try:
        with session.begin_nested():
            session.add(LtiContextLineItem(context_pk=context_pk, assignment=assignment, lineitem_url=url[:2000]))
        session.commit()
        return url
    except IntegrityError:
        return str(_kept(session, context_pk, assignment))


def _find_or_create(session: Session, outcome: Outcome, claims: dict[str, Any], *, context: LtiContext,
                    settings: Settings) -> str:
    ags = claims.get(AGS_CLAIM) or {}
    launched = ags.get("lineitem")
    if launched and session.scalar(select(LtiContextLineItem.id).where(
            LtiContextLineItem.context_pk == context.id, LtiContextLineItem.lineitem_url == launched)) is None:
        return str(launched)
    from service.lti.scores import CachingConnector

    connector = CachingConnector(outcome.platform.registration(tool_key(settings)),
                                 TimeoutSession(settings.lms_callback_timeout_s))
    service = AssignmentsGradesService(connector, {"scope": list(ags["scope"]), "lineitems": str(ags["lineitems"])})
    item = service.find_or_create_lineitem(wanted(outcome.assignment, claims), find_by="resource_id")
    if not item.get_id():
        raise RuntimeError(f"the platform created a line item for {outcome.assignment} without an id")
    return str(item.get_id())


def wanted(assignment: str, claims: dict[str, Any]) -> LineItem:
    """The line item we create for an assignment: its title, points, id and the launch's resource link."""
    spec = load(assignment)
    item = (LineItem().set_label(f"{spec.title} (autograded)").set_score_maximum(spec.max_score)
            .set_resource_id(assignment).set_tag(f"autograder:{assignment}"))
    link = str((claims.get(RESOURCE_LINK_CLAIM) or {}).get("id", ""))
    return item.set_resource_link_id(link) if link else item


def for_members(session: Session, student_id: int, assignment: str) -> None:
    """Line item rows for this student and assignment in each course they are an active learner of (no commit
    needed by the caller: committed here)."""
    rows = session.execute(
        select(LtiMember.user_id, LtiContext.issuer, LtiContext.client_id, LtiContextLineItem.lineitem_url)
        .join(LtiContext, LtiContext.id == LtiMember.context_pk)
        .join(LtiContextLineItem, (LtiContextLineItem.context_pk == LtiMember.context_pk)
              & (LtiContextLineItem.assignment == assignment))
        .where(LtiMember.student_id == student_id, LtiMember.active == True,  # noqa: E712 - SQL
               LtiMember.learner == True)).all()  # noqa: E712
    for user_id, issuer, client_id, url in rows:
        if session.scalar(select(LtiLineItem.id).where(LtiLineItem.student_id == student_id,
                                                       LtiLineItem.lineitem_url == url)) is not None:
            continue
        try:
            with session.begin_nested():
                session.add(LtiLineItem(student_id=student_id, assignment=assignment, issuer=issuer,
                                        client_id=client_id, user_id=user_id, lineitem_url=url))
        except IntegrityError:  # a launch or a concurrent hook added it
            pass
    session.commit()
