"""Grades back to the platform through LTI Assignment and Grade Services (AGS).

This rides on the LMS delivery log rather than a second mechanism: when a
submission of a student with an AGS line item is graded, :func:`attach` adds
an :class:`~service.db.lms_models.LmsLink` of integration ``lti`` per line
item, :func:`service.lms.delivery.schedule` logs a delivery for it, the worker
task ``autograder.deliver_callback`` makes the attempts with the same backoff,
and :func:`service.lms.delivery.attempt` sends them through :class:`AgsTransport`.
Each attempt posts the student's counted grade at that moment, so a regrade or
a later submission sends the new grade.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import grades
from service.db.lms_models import LmsLink
from service.db.lti_models import LtiLineItem
from service.db.models import Submission, SubmissionStatus
from service.lti import line_items
from service.lti.http import TimeoutSession
from service.lti.keys import KeyMissing, tool_key
from service.lti.launch import SCORE_SCOPE
from service.lti.registrations import BadPlatform, all_platforms, find
from service.settings import Settings

LINEITEM_SCOPE = line_items.LINEITEM_SCOPE
INTEGRATION = "lti"
"""``LmsLink.integration`` of a line item's deliveries."""


def attach(session: Session, submission_id: str) -> None:
    """One link per line item of this graded submission's student and assignment; idempotent."""
    row = session.get(Submission, submission_id)
    if row is None or row.status != SubmissionStatus.GRADED.value:
        return
    line_items.for_members(session, row.student_id, row.assignment)  # the course's column per assignment
    items = session.scalars(select(LtiLineItem).where(LtiLineItem.student_id == row.student_id,
                                                      LtiLineItem.assignment == row.assignment)).all()
    for item in items:
        ext = f"{item.id}:{row.id}"
        if session.scalar(select(LmsLink.id).where(LmsLink.integration == INTEGRATION,
                                                   LmsLink.external_submission_id == ext)):
            continue
        session.add(LmsLink(integration=INTEGRATION, course_id=item.issuer[:200], assignment_id=row.assignment,
                            student_id=item.user_id[:200], external_submission_id=ext, submission_id=row.id,
                            callback_url=item.lineitem_url))
        try:
            session.commit()
        except IntegrityError:  # attached by a concurrent hook
            session.rollback()


def counted(session: Session, *, student_id: int, assignment: str) -> tuple[float, float, str] | None:
    """The student's counted grade (:func:`service.grades.counted_grade`: late policy and latest/best applied),
    its maximum and a summary; None before a graded submission."""
    grade = grades.counted_grade(session, assignment=assignment, student_id=student_id)
    if grade is None or grade.grade is None or grade.max_score is None:
        return None
    late = f", {grade.late_days} day{'s' * (grade.late_days != 1)} late" if grade.late_days else ""
    return grade.grade, grade.max_score, f"{grade.grade:g}/{grade.max_score:g} points ({assignment}{late})"


def score(given: float, most: float, summary: str, *, user_id: str) -> Grade:
    """An AGS score (``application/vnd.ims.lis.v1.score+json``)."""
    return (Grade().set_score_given(max(0.0, given)).set_score_maximum(most).set_user_id(user_id)
            .set_activity_progress("Completed").set_grading_progress("FullyGraded")
            .set_timestamp(datetime.now(UTC).isoformat(timespec="milliseconds"))
            .set_comment(f"Autograder: {summary}"))


class AgsTransport:
    """LTI's transport (``service.lms.delivery.Transport``): the student's counted grade as an AGS score."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, session: Session, delivery: Any, link: LmsLink) -> tuple[int | None, str | None]:
        return post(session, link, self.settings)


def post(session: Session, link: LmsLink, settings: Settings) -> tuple[int | None, str | None]:
    """POST the counted grade to the line item's ``/scores``: the HTTP status and the error, if any."""
    item = session.get(LtiLineItem, int(link.external_submission_id.split(":", 1)[0]))
    if item is None:
        return None, "the line item is gone"
    try:
        platform = find(all_platforms(session, settings), item.issuer, item.client_id)
    except BadPlatform as e:
        return None, str(e)
    if platform is None:
        return None, f"no registration for {item.issuer} (client {item.client_id}) any more"
    grade = counted(session, student_id=item.student_id, assignment=item.assignment)
    if grade is None:
        return None, "no graded submission"
    try:
        connector = CachingConnector(platform.registration(tool_key(settings)),
                                     TimeoutSession(settings.lms_callback_timeout_s))
    except KeyMissing as e:
        return None, str(e)
    service = AssignmentsGradesService(connector, {"scope": [SCORE_SCOPE], "lineitem": item.lineitem_url})  # type: ignore[list-item]
    try:
        service.put_grade(score(*grade, user_id=item.user_id))
    except requests.exceptions.JSONDecodeError:
        return 200, None  # pylti1p3 reads the answer as JSON only after a 2xx: the score was taken
    except LtiServiceException as e:
        code = e.response.status_code
        if code == 401:
            connector.forget()
        return code, f"{e}"[:500]
    except Exception as e:  # noqa: BLE001 - any network failure is one failed attempt
        return None, f"{type(e).__name__}: {e}"[:500]
    return 200, None


_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


class CachingConnector(ServiceConnector):
    """pylti1p3's connector with its access tokens kept per process until shortly before they expire."""

    def _cache_key(self, scopes: list[str]) -> tuple[str, str, str]:
        reg = self._registration
        return str(reg.get_auth_token_url()), str(reg.get_client_id()), " ".join(sorted(scopes))

    def get_access_token(self, scopes: Any) -> str:
        key = self._cache_key(list(scopes))
        with _tokens_lock:
            cached = _tokens.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        token, expires_in = self._fetch(list(scopes))
        with _tokens_lock:
            _tokens[key] = (token, time.monotonic() + max(0.0, expires_in - 30))
        return token

    def forget(self) -> None:
        """Drop this platform's tokens (the platform refused one)."""
        reg = self._registration
        with _tokens_lock:
            for key in [k for k in _tokens if k[:2] == (str(reg.get_auth_token_url()), str(reg.get_client_id()))]:
                del _tokens[key]

    def _fetch(self, scopes: list[str]) -> tuple[str, float]:
        """Client credentials with a JWT assertion signed by the tool's key (pylti1p3's claims and encoder)."""
        reg = self._registration
        client_id, url = str(reg.get_client_id()), str(reg.get_auth_token_url())
        now = int(time.time())
        claims: dict[str, str | int] = {"iss": client_id, "sub": client_id, "aud": reg.get_auth_audience() or url,
                                        "iat": now - 5, "exp": now + 60, "jti": f"lti-service-token-{uuid.uuid4()}"}
        assertion = self.encode_jwt(claims, str(reg.get_tool_private_key()), {"kid": str(reg.get_kid())})
        r = self._requests_session.post(url, data={
            "grant_type": "client_credentials", "scope": " ".join(scopes),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})
        if not r.ok:
            raise LtiServiceException(r)
        body = r.json()
        return str(body["access_token"]), float(body.get("expires_in", 3600))
