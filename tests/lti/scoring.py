"""Grades for the LTI tests: a graded submission stored as a worker stores it, its deliveries made as the
worker's task makes them, and a student launched in."""

from __future__ import annotations

import json

from sqlalchemy import select

from service import grades
from service.db.models import Student, Submission, SubmissionStatus, utcnow
from service.db.session import session_factory
from service.lms import delivery
from tests.doubles import one_test_report
from tests.lti.launches import platform_form, post_launch


def graded(settings, student: str, score: float, *, assignment: str = "ex08") -> str:
    with session_factory(settings.database)() as s:
        sid = s.scalar(select(Student.id).where(Student.name == student))
        row = Submission(student_id=sid, assignment=assignment, content=b"x", sha256="0" * 64, score=score,
                         max_score=16.0, status=SubmissionStatus.GRADED.value, attempts=1,
                         finished_at=utcnow(),
                         report=json.dumps(one_test_report(score=score, max_score=16.0).to_dict()))
        s.add(row)
        s.flush()
        grades.recompute_submission(s, row.id)  # as lifecycle.store does
        s.commit()
        return row.id


def deliver(settings, submission_id: str) -> list[float | None]:
    """What the worker does when a submission is graded: log, then one attempt per delivery."""
    with session_factory(settings.database)() as s:
        ids = delivery.schedule(s, submission_id)
        return [delivery.attempt(session=s, delivery_id=i, transports=delivery.transports(settings),
                                 settings=settings)
                for i in ids]


def launched(client, platform, user: str = "alice") -> None:
    assert post_launch(client, platform_form(client, platform, user)).status_code == 303
