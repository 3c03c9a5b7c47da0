"""When an assignment is due, what lateness costs, when it closes, and which submission counts.

An assignment's schedule comes from three places, each winning over the one
before: its data file (``[schedule]`` in ``reference/<id>/assignment.toml``, read
by :mod:`grader.assignments`), the environment (``AUTOGRADER_SCHEDULE``, JSON keyed
by assignment id, field by field over the data file) and the dashboard (stored in
the database, whole). No schedule means no deadline. The store at the end of this
module keeps the dashboard's schedule, the one the counted grades were computed
with (``applied``) and the students' extensions.

The policy, exactly: lateness is measured when the upload is received, in
started days (1 second late is 1 day); a late submission's grade is
``score × max(0, 1 − late_penalty_per_day × days)``. The close is
``closes_at``, else ``due_at + late_days_max`` days, else (no late policy at
all) ``due_at`` itself; a penalty without ``late_days_max`` or ``closes_at``
never closes (the grade reaches 0). ``latest`` counts the latest received
submission that finished grading; ``best`` the highest grade after the
penalty, the later one on a tie. A student's extension moves their due date
and their close by the same amount.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.db.grade_models import Extension, ScheduleRow
from service.db.models import utcnow
from service.db.upsert import upsert

DAY = timedelta(days=1)
DASHBOARD, APPLIED = "dashboard", "applied"
"""``ScheduleRow.source``: the dashboard's schedule, and the one the stored counted grades were computed with."""


class Schedule(BaseModel):
    """One assignment's schedule; every field optional (the default is no deadline)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    due_at: datetime | None = None
    """When it is due; a submission received later is late."""
    late_penalty_per_day: float = Field(default=0.0, ge=0, le=1)
    """Fraction of the score lost per started day late."""
    late_days_max: int | None = Field(default=None, ge=0)
    """Days after ``due_at`` a late submission is still accepted (when ``closes_at`` is unset)."""
    closes_at: datetime | None = None
    """Hard close: later uploads are refused with 403."""
    counted: Literal["latest", "best"] = "latest"
    """Which submission's grade counts."""

    @field_validator("due_at", "closes_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        return aware(v) if v is not None else None

    def close(self) -> datetime | None:
        """When uploads stop being accepted; None: never."""
        if self.closes_at is not None:
            return self.closes_at
        if self.due_at is None:
            return None
        if self.late_days_max is not None:
            return self.due_at + self.late_days_max * DAY
        return None if self.late_penalty_per_day > 0 else self.due_at

    def for_student(self, extended_due: datetime | None) -> Schedule:
        """This schedule with a student's extension applied (due date and close move together)."""
        if extended_due is None:
            return self
        extended_due = aware(extended_due)
        shift = extended_due - self.due_at if self.due_at else timedelta(0)
        close = self.close()
        return self.model_copy(update={"due_at": extended_due, "late_days_max": None,
                                       "closes_at": close + shift if close else (
                                           None if self.late_penalty_per_day > 0 else extended_due)})

    def late_days(self, received_at: datetime) -> int:
        """Started days late at ``received_at`` (0 when on time or without a due date)."""
        if self.due_at is None or aware(received_at) <= self.due_at:
            return 0
        return math.ceil((aware(received_at) - self.due_at) / DAY)

    def grade(self, score: float, received_at: datetime) -> float:
        """The score after the late policy."""
        return score * max(0.0, 1.0 - self.late_penalty_per_day * self.late_days(received_at))

    def to_json(self) -> str:
        return self.model_dump_json()


@dataclass(frozen=True)
class Graded:
    """What choosing the counted submission needs of one graded submission."""

    id: str
    received_at: datetime
    score: float


def counted(subs: list[Graded], schedule: Schedule) -> Graded | None:
    """The submission that counts among graded ones (see the module docstring)."""
    if not subs:
        return None
    if schedule.counted == "best":
        return max(subs, key=lambda s: (schedule.grade(s.score, s.received_at), aware(s.received_at), s.id))
    return max(subs, key=lambda s: (aware(s.received_at), s.id))


def merge(base: Schedule | None, override: dict[str, Any]) -> Schedule:
    """``override``'s fields over ``base``'s."""
    return Schedule.model_validate({**(base.model_dump() if base else {}), **override})


def from_data_file(assignment: str) -> Schedule | None:
    """The ``[schedule]`` table of the assignment's data file (or of the one it extends), as
    :mod:`grader.assignments` read it."""
    from grader.assignments import UnknownAssignment, load

    try:
        raw = load(assignment).schedule
    except UnknownAssignment:
        return None
    return Schedule.model_validate(raw) if raw is not None else None


def parse(body: str | None) -> Schedule | None:
    return Schedule.model_validate(json.loads(body)) if body else None


def aware(t: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they were stored as UTC.
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# --- the store: the dashboard's schedule, the applied one, extensions ------------------------------

def effective(session: Session, env: dict[str, dict[str, Any]], assignment: str) -> Schedule:
    """The schedule in force: the dashboard's override, else the environment's over the data file's."""
    override = _row(session, assignment, DASHBOARD)
    if override is not None:
        return override
    base = from_data_file(assignment)
    return merge(base, env[assignment]) if assignment in env else (base or Schedule())


def applied(session: Session, assignment: str) -> Schedule:
    """The schedule the stored counted grades were computed with (the data file's before any)."""
    return (_row(session, assignment, APPLIED) or _row(session, assignment, DASHBOARD)
            or from_data_file(assignment) or Schedule())


def is_applied(session: Session, assignment: str, schedule: Schedule) -> bool:
    return _row(session, assignment, APPLIED) == schedule


def write_applied(session: Session, assignment: str, schedule: Schedule) -> None:
    """Record ``schedule`` as the one the counted grades are computed with (no commit)."""
    upsert(session, ScheduleRow, [{"assignment": assignment, "source": APPLIED, "body": schedule.to_json(),
                                   "updated_at": utcnow()}])


def set_override(session: Session, assignment: str, schedule: Schedule | None) -> None:
    """Store (or, with None, remove) the dashboard's schedule; commits. Applying it is the caller's."""
    session.execute(delete(ScheduleRow).where(ScheduleRow.assignment == assignment,
                                              ScheduleRow.source == DASHBOARD))
    if schedule is not None:
        session.add(ScheduleRow(assignment=assignment, source=DASHBOARD, body=schedule.to_json()))
    session.commit()


def has_override(session: Session, assignment: str) -> bool:
    return _row(session, assignment, DASHBOARD) is not None


def extension(session: Session, assignment: str, student_id: int) -> datetime | None:
    """The student's extended due date, if they have one."""
    return session.scalar(select(Extension.due_at).where(Extension.assignment == assignment,
                                                         Extension.student_id == student_id))


def extensions(session: Session, assignment: str) -> dict[int, datetime]:
    """Every extended due date of the assignment, by student."""
    rows = session.execute(select(Extension.student_id, Extension.due_at).where(Extension.assignment == assignment))
    return {student_id: due for student_id, due in rows}


def set_extension(session: Session, assignment: str, student_id: int, due_at: datetime | None) -> None:
    """Grant (or with None withdraw) a student's extension (flushed, not committed)."""
    session.execute(delete(Extension).where(Extension.assignment == assignment,
                                            Extension.student_id == student_id))
    if due_at is not None:
        session.add(Extension(assignment=assignment, student_id=student_id, due_at=due_at))
    session.flush()


def for_student(session: Session, env: dict[str, dict[str, Any]], assignment: str, student_id: int) -> Schedule:
    """The effective schedule with this student's extension applied."""
    return effective(session, env, assignment).for_student(extension(session, assignment, student_id))


def _row(session: Session, assignment: str, source: str) -> Schedule | None:
    return parse(session.scalar(select(ScheduleRow.body).where(ScheduleRow.assignment == assignment,
                                                               ScheduleRow.source == source)))
