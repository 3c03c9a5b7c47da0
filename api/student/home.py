"""``/student``: the sign-in form, or the signed-in student's home for one assignment: its schedule (time
left, closed), the grade that counts now, the upload form and their uploads of it with the score each shows.

With several assignments configured the student chooses one (``?assignment=ID``); a session an LTI launch
opened is bound to its link's assignment and offers no choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import WebSessionDep, bound_assignment, current_student, session_assignment
from api.dashboard import plots
from api.deps import SessionDep, SettingsDep
from api.pages import render
from api.student.sign_in import back_to
from grader.assignments import UnknownAssignment, load
from service import grades, report_view, schedule, visibility
from service.db.grade_models import CountedGrade
from service.db.models import Submission, utcnow
from service.schedule import Schedule

router = APIRouter(prefix="/student", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def home(request: Request, web: WebSessionDep, session: SessionDep, settings: SettingsDep,
         assignment: str = "") -> HTMLResponse:
    student = current_student(web, session)
    if student is None:
        return render(request, "student_login.html", web, next=back_to(request.query_params.get("next", "")))
    bound = bound_assignment(web) is not None
    choices = [session_assignment(web, settings)] if bound else settings.assignment_ids
    if assignment and assignment not in choices:
        return render(request, "student_no_assignment.html", web, status_code=404, asked=assignment[:100],
                      choices=choices, bound=bound, titles=titles(choices))
    shown = assignment or session_assignment(web, settings)
    # Only this assignment's uploads: the schedule, the counted grade and the score chart above are its own.
    rows = session.scalars(select(Submission).where(Submission.student_id == student.id,
                                                    Submission.assignment == shown)
                           .order_by(Submission.received_at.desc()).limit(50)).all()
    course = student_view(session, settings.schedule, shown, student.id)
    if course.counted is not None and _hidden_points_differ(rows, settings):
        # Which submission counts, or that an earlier one scored higher, would tell hidden tests' points.
        course = replace(course, counted=None)
    scores = _visible_scores(rows, settings)
    history = [(r.received_at.strftime("%m-%d %H:%M"),
                scores[r.id][0]) for r in reversed(rows) if r.id in scores]
    chart = plots.bars([t for t, _ in history], [s for _, s in history],
                       title="Your score per upload (visible tests)",
                       color=plots.PALETTE[2]) if len(history) > 1 else None
    return render(request, "student_home.html", web, student=student, rows=rows, course=course, scores=scores,
                  chart=chart, hidden_pending=_hidden_pending(rows, settings),
                  choices=[] if bound or len(choices) < 2 else choices, titles=titles(choices))


def titles(assignments: Sequence[str]) -> dict[str, str]:
    """Each assignment's human title from its data file (none for an id the grader does not know)."""
    out = {}
    for a in assignments:
        with suppress(UnknownAssignment):
            out[a] = load(a).title
    return out


@dataclass
class StudentView:
    """What a student sees of the course: their schedule (extension applied) and what counts now."""

    assignment: str
    schedule: Schedule
    close: datetime | None
    counted: CountedGrade | None
    now: datetime

    @property
    def closed(self) -> bool:
        return self.close is not None and self.now > self.close

    @property
    def time_left(self) -> str:
        """Until the due date (or, once it passed, the close), as "2 days 3 h" / "45 min"; empty: none."""
        due = self.schedule.due_at
        end = due if due and self.now <= due else self.close
        if end is None or self.now > end:
            return ""
        left = end - self.now
        hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
        days, hours = divmod(hours, 24)
        return f"{days} days {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"


def student_view(session: Session, env: dict[str, dict[str, Any]], assignment: str,
                 student_id: int) -> StudentView:
    mine = schedule.for_student(session, env, assignment, student_id)
    counted = grades.counted_grade(session, assignment=assignment, student_id=student_id)
    return StudentView(assignment, mine, mine.close(), counted, utcnow())


def _visible_scores(rows: Sequence[Submission], settings: Any) -> dict[str, tuple[float, float]]:
    """Each graded attempt's score and maximum as its report page shows them (visible tests only)."""
    out = {}
    for r in rows:
        shown = visibility.for_student(report_view.parse(r.report),
                                       release_at=settings.hidden_tests_release_at)
        if r.status == "graded" and shown is not None:
            out[r.id] = (float(shown["score"]), float(shown["max_score"]))
    return out


def _hidden_pending(rows: Sequence[Submission], settings: Any) -> bool:
    """Whether any of the student's reports has a test they may not see yet (the counted grade would tell
    it)."""
    reports = [report for report in (report_view.parse(r.report) for r in rows) if report is not None]
    return any(visibility.hidden(t.visibility, release_at=settings.hidden_tests_release_at)
               for report in reports for t in report.tests)


def _hidden_points_differ(rows: Sequence[Submission], settings: Any) -> bool:
    """Whether the student's graded submissions differ in tests they may not see yet."""
    seen = set()
    for report in (report_view.parse(r.report) for r in rows):
        if report is not None:
            seen.add(tuple((t.number, t.score) for t in report.tests
                           if visibility.hidden(t.visibility, release_at=settings.hidden_tests_release_at)))
    return len(seen) > 1
