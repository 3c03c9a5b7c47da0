"""Grades back to the LMS and to LTI platforms: one send per attempt, recorded in the delivery log.

:func:`schedule` makes a log row when a linked submission is graded,
:func:`attempt` makes one send through the link's :class:`Transport` and says
when to try again. The worker task (``workers.lms_callbacks``) only loops these.
Each integration has one transport (:func:`transports`): :class:`Webhook` (a
signed JSON POST, its HTTP client :class:`PinnedHttp`) for every LMS webhook
integration, ``service.lti.scores.AgsTransport`` (an AGS score) for LTI line
items. ``tests/doubles.py`` has an in-memory double of each.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import grades, report_view
from service.db.lms_models import DeliveryStatus, LmsDelivery, LmsLink
from service.db.models import Submission, SubmissionStatus, utcnow
from service.lms import callback_address, signing
from service.lti import scores as lti_scores
from service.report_links import report_link
from service.settings import Settings

Sent = tuple[int | None, str | None]
"""What one send got: the HTTP status (None: no answer) and the error (None: delivered)."""


class Transport(Protocol):
    """One integration's way of sending a grade."""

    def send(self, session: Session, delivery: LmsDelivery, link: LmsLink) -> Sent:
        """Send the grade ``delivery`` carries to ``link``'s other end, once; never raises for a failed send."""
        ...


@dataclass
class Transports:
    """The transport of each integration: ``by_integration``'s when it names the link's, else the webhook's."""

    webhook: Transport
    by_integration: dict[str, Transport] = field(default_factory=dict)

    def of(self, link: LmsLink) -> Transport:
        return self.by_integration.get(link.integration, self.webhook)


def transports(settings: Settings) -> Transports:
    """The real ones: the signed webhook for every LMS integration, AGS for LTI line items."""
    return Transports(Webhook(settings), {lti_scores.INTEGRATION: lti_scores.AgsTransport(settings)})


class Http(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
        """POST and return the HTTP status; raise on a network error (refused, timeout...)."""
        ...


class Webhook:
    """An LMS webhook integration's transport: the grade as signed JSON (:func:`payload`), POSTed to the
    callback URL with the integration's secret."""

    def __init__(self, settings: Settings, *, http: Http | None = None) -> None:
        self.settings, self.http = settings, http or PinnedHttp(settings)

    def send(self, session: Session, delivery: LmsDelivery, link: LmsLink) -> Sent:
        body = json.dumps(payload(session, delivery, link, self.settings)).encode()
        return _post(self.http, self.settings, link, body=body, delivery_id=delivery.id)


class PinnedHttp:
    """The webhook's HTTP client: the URL checked again (DNS may have changed since intake), then POSTed to
    the address that was checked; no redirects followed (a callback must not bounce us elsewhere)."""

    def __init__(self, settings: Settings, *,
                 resolve: callback_address.Resolver = callback_address.system_resolver) -> None:
        self.settings, self.resolve = settings, resolve

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
        target = callback_address.check(url, self.settings, resolve=self.resolve)
        return callback_address.post_pinned(target, body, headers, timeout=timeout)


def schedule(session: Session, submission_id: str) -> list[int]:
    """Log rows to send for this graded submission (none when it did not come from an LMS); idempotent."""
    lti_scores.attach(session, submission_id)  # LTI line items ride on the same log (service.lti.scores)
    row = session.get(Submission, submission_id)
    links = session.scalars(select(LmsLink).where(LmsLink.submission_id == submission_id)).all()
    if row is None or row.status != SubmissionStatus.GRADED.value or not links:
        return []
    ids = []
    for link in links:
        delivery = LmsDelivery(link_id=link.id, submission_id=row.id, grade_attempt=row.attempts,
                               next_attempt_at=utcnow())
        session.add(delivery)
        try:
            session.commit()
        except IntegrityError:  # this grade is logged already (a repeated hook)
            session.rollback()
            continue
        ids.append(delivery.id)
    return ids


def schedule_changed(session: Session, assignment: str, student_ids: list[int]) -> list[int]:
    """Log rows sending the new counted grade of these students (a schedule or extension changed it).

    Each LMS student gets one delivery on the link of their latest LMS submission
    of the assignment; its ``grade_attempt`` is negative (-1, -2, ...: the n-th
    such change on that link), which keeps it apart from the graded attempts.
    """
    latest: dict[int, tuple[Any, LmsLink]] = {}
    for i in range(0, len(student_ids), 500):
        for student, at, link in session.execute(
                select(Submission.student_id, Submission.received_at, LmsLink)
                .join(LmsLink, LmsLink.submission_id == Submission.id)
                .where(Submission.assignment == assignment, Submission.student_id.in_(student_ids[i:i + 500]))):
            if student not in latest or at > latest[student][0]:
                latest[student] = (at, link)
    links = [link for _, link in latest.values()]
    used = {link_id: lowest for link_id, lowest in session.execute(
        select(LmsDelivery.link_id, func.min(LmsDelivery.grade_attempt))
        .where(LmsDelivery.link_id.in_([lk.id for lk in links])).group_by(LmsDelivery.link_id))} if links else {}
    rows = [LmsDelivery(link_id=lk.id, submission_id=lk.submission_id, next_attempt_at=utcnow(),
                        grade_attempt=min(used.get(lk.id) or 0, 0) - 1) for lk in links]
    session.add_all(rows)
    try:
        session.commit()
    except IntegrityError:  # a concurrent change logged the same ones; the LMS gets that one
        session.rollback()
        return []
    return [d.id for d in rows]


def attempt(*, session: Session, delivery_id: int, transports: Transports, settings: Settings,
            rng: Callable[[], float] = random.random) -> float | None:
    """Send once; the seconds until the next try, or None when delivered, failed for good, or unknown."""
    delivery = session.get(LmsDelivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING.value:
        return None
    link = session.get(LmsLink, delivery.link_id)
    assert link is not None
    code, error = transports.of(link).send(session, delivery, link)
    return _record(session, delivery, code, error, settings, rng)


def _post(http: Http, settings: Settings, link: LmsLink, *, body: bytes,
          delivery_id: int) -> tuple[int | None, str | None]:
    secret = settings.lms_integrations.get(link.integration)
    if secret is None:
        return None, f"integration `{link.integration}` is no longer configured"
    headers = {"Content-Type": "application/json", signing.DELIVERY: str(delivery_id),
               **signing.sign(secret.get_secret_value(), body, integration=link.integration)}
    try:
        code = http.post(link.callback_url, body, headers, timeout=settings.lms_callback_timeout_s)
    except Exception as e:  # noqa: BLE001 - any network failure is one failed attempt
        return None, f"{type(e).__name__}: {e}"[:500]
    return code, None if 200 <= code < 300 else f"HTTP {code}"


def _record(session: Session, d: LmsDelivery, code: int | None, error: str | None, settings: Settings,
            rng: Callable[[], float]) -> float | None:
    now = utcnow()
    d.attempts += 1
    d.status_codes = f"{d.status_codes} {code or '-'}".strip()
    d.last_status_code, d.last_error, d.last_attempt_at = code, error, now
    delay = None
    if error is None:
        d.status, d.delivered_at, d.next_attempt_at = DeliveryStatus.DELIVERED.value, now, None
    elif d.attempts >= settings.lms_callback_max_attempts:
        d.status, d.next_attempt_at = DeliveryStatus.FAILED.value, None
    else:
        delay = backoff(d.attempts, base=settings.lms_callback_backoff_s,
                        cap=settings.lms_callback_backoff_max_s, rng=rng)
        d.next_attempt_at = now + timedelta(seconds=delay)
    session.commit()
    return delay


# Not Celery's get_exponential_backoff_interval: it counts whole seconds (the tests and a quick LMS
# want sub-second first retries) and its full jitter may retry at once; equal jitter never does.
def backoff(attempts: int, *, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Exponential with jitter: half the capped delay, plus up to half again at random."""
    full = min(cap, base * 2 ** (attempts - 1))
    return full * (0.5 + 0.5 * rng())


def overdue(session: Session, *, grace: timedelta) -> list[int]:
    """Pending deliveries whose next attempt is ``grace`` past due: their task message was lost.

    Each one found has its next attempt moved to now, so the next sweep leaves
    it alone for another ``grace`` while the re-sent task runs.
    """
    now = utcnow()
    rows = list(session.scalars(select(LmsDelivery).where(
        LmsDelivery.status == DeliveryStatus.PENDING.value, LmsDelivery.next_attempt_at < now - grace)))
    for d in rows:
        d.next_attempt_at = now
    session.commit()
    return [d.id for d in rows]


def resend(session: Session, delivery_id: int) -> bool:
    """Put a delivery back in the queue with a fresh set of attempts (the dashboard's button)."""
    d = session.get(LmsDelivery, delivery_id)
    if d is None:
        return False
    d.status, d.attempts, d.next_attempt_at = DeliveryStatus.PENDING.value, 0, utcnow()
    d.status_codes = f"{d.status_codes} |".strip()  # history stays; the bar marks a manual re-send
    session.commit()
    return True


def payload(session: Session, d: LmsDelivery, link: LmsLink, settings: Settings) -> dict[str, Any]:
    """The JSON the LMS receives: the grade, a per-test summary and a link to the report."""
    row = session.get(Submission, d.submission_id)
    assert row is not None
    report = report_view.parse(row.report)
    tests = [report_view.test_summary(t) for t in report.tests] if report else []
    event = "grade.changed" if d.grade_attempt < 0 else "submission.graded"
    return {"event": event, "delivery_id": d.id, "integration": link.integration,
            "course_id": link.course_id, "assignment_id": link.assignment_id, "student_id": link.student_id,
            "external_submission_id": link.external_submission_id, "submission_id": row.id,
            "score": row.score, "max_score": row.max_score, **_counted(session, row),
            "graded_at": row.finished_at.isoformat() if row.finished_at else None,
            "tests": tests, "report_url": report_link(settings, row.id, session=session)}


def _counted(session: Session, row: Submission) -> dict[str, Any]:
    """The student's counted grade (late policy applied, :mod:`service.grades`): what the gradebook records."""
    g = grades.counted_grade(session, assignment=row.assignment, student_id=row.student_id)
    return {"grade": g.grade if g else None, "counted_submission_id": g.submission_id if g else None,
            "late_days": g.late_days if g else 0}
