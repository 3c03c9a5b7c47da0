"""Intake from an LMS webhook: authenticate the signature, parse the body, then submit it like any upload."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import intake
from service.db.lms_models import LmsLink
from service.db.models import Student, Submission
from service.lms import callback_address, signing
from service.problems import PROBLEMS, Problem
from service.settings import Settings
from service.task_sender import TaskQueue


class LmsSubmission(BaseModel):
    """The webhook's JSON body."""

    course_id: str = Field(min_length=1, max_length=200)
    assignment_id: str = Field(min_length=1, max_length=200)
    student_id: str = Field(min_length=1, max_length=150)
    external_submission_id: str = Field(min_length=1, max_length=200)
    file_base64: str = Field(description="the student's layers.py, base64")
    callback_url: str = Field(min_length=1, max_length=2000)
    filename: str = "layers.py"


@dataclass
class Accepted:
    submission: Submission
    link: LmsLink
    created: bool


def authenticate(settings: Settings, body: bytes, headers: dict[str, str]) -> str:
    """The integration that signed this request, or a 401 Problem."""
    name = headers.get(signing.INTEGRATION.lower()) or "default"
    secret = settings.lms_integrations.get(name)
    if secret is None:
        raise _unauthorized(f"unknown integration `{name}`")
    try:
        signing.verify(secret.get_secret_value(), body, timestamp=headers.get(signing.TIMESTAMP.lower()),
                       sig=headers.get(signing.SIGNATURE.lower()), window_s=settings.lms_replay_window_s)
    except signing.SignatureError as e:
        raise _unauthorized(str(e)) from None
    return name


def parse(body: bytes, settings: Settings) -> tuple[LmsSubmission, bytes]:
    """The payload and the decoded file, or a 422 Problem."""
    try:
        payload = LmsSubmission.model_validate(json.loads(body))
    except (ValueError, ValidationError) as e:
        errors = e.errors(include_url=False, include_input=False) if isinstance(e, ValidationError) else []
        raise Problem(422, "Malformed body", f"expected the JSON object of docs/lms.md: {str(e)[:300]}",
                      type=PROBLEMS + "lms-malformed", errors=json.loads(json.dumps(errors, default=str))) from None
    try:
        content = base64.b64decode(payload.file_base64, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(422, "Malformed body", "`file_base64` is not valid base64",
                      type=PROBLEMS + "lms-malformed") from None
    check_callback(payload.callback_url, settings)
    return payload, content


def check_callback(url: str, settings: Settings, *,
                   resolve: callback_address.Resolver = callback_address.system_resolver) -> None:
    """A 422 Problem unless callbacks may go to ``url`` (:mod:`service.lms.callback_address`)."""
    try:
        callback_address.check(url, settings, resolve=resolve)
    except callback_address.Refused as e:
        raise Problem(422, "Bad callback URL", str(e), type=PROBLEMS + "lms-callback") from None


def accept(*, session: Session, queue: TaskQueue, settings: Settings, limiter: intake.Limiter, integration: str,
           payload: LmsSubmission, content: bytes) -> Accepted:
    """Create (or find again) the submission for this external id: :func:`service.intake.submit`, like any
    upload (its external id is its idempotency key), then the link back to the LMS."""
    done = intake.submit(session=session, queue=queue, settings=settings, limiter=limiter,
                         student=lambda: _student(session, f"{integration}:{payload.student_id}"),
                         content=content, filename=payload.filename,
                         assignment=settings.lms_assignment_map.get(payload.assignment_id, payload.assignment_id),
                         idempotency_key=f"lms:{integration}:{payload.external_submission_id}",
                         reused_key=_external_id_reused)
    return Accepted(done.submission, _linked(session, integration, payload, done.submission), done.created)


def _linked(session: Session, integration: str, payload: LmsSubmission, row: Submission) -> LmsLink:
    """The submission's link back to the LMS (made on its first upload; a replay finds it)."""
    if (link := _link(session, integration, payload.external_submission_id)) is not None:
        return link
    session.add(LmsLink(integration=integration, course_id=payload.course_id, assignment_id=payload.assignment_id,
                        student_id=payload.student_id, external_submission_id=payload.external_submission_id,
                        submission_id=row.id, callback_url=payload.callback_url))
    try:
        session.commit()
    except IntegrityError:  # the same external id raced in from a parallel request
        session.rollback()
    link = _link(session, integration, payload.external_submission_id)
    assert link is not None
    return link


def _link(session: Session, integration: str, external_id: str) -> LmsLink | None:
    return session.scalar(select(LmsLink).where(LmsLink.integration == integration,
                                                LmsLink.external_submission_id == external_id))


def _external_id_reused(old: Submission) -> Problem:
    return Problem(409, "External submission id reused", "this id was sent before with a different file",
                   type=PROBLEMS + "lms-conflict", submission_id=old.id)


def _student(session: Session, name: str) -> Student:
    if (row := session.scalar(select(Student).where(Student.name == name))) is not None:
        return row
    row = Student(name=name)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return session.scalars(select(Student).where(Student.name == name)).one()
    return row


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Bad signature", detail, type=PROBLEMS + "lms-signature",
                   headers={"WWW-Authenticate": "HMAC-SHA256"})
