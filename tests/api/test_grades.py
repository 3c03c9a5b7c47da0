"""The late policy and the counted grade, kept up to date as grades are stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, select, text

from service import grades, intake, lifecycle
from service import schedule as sched
from service.course import course_member
from service.db.grade_models import CountedGrade, TestResultRow
from service.db.migrate import upgrade
from service.db.models import Student, Submission
from service.db.session import session_factory
from service.problems import Problem
from service.schedule import Schedule
from service.tokens import create_token
from tests.doubles import MemoryQueue, one_test_report
from tests.service_backends import postgres_url

DUE = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_started_days_late_and_the_penalty():
    s = Schedule(due_at=DUE, late_penalty_per_day=0.1, late_days_max=3)
    assert s.late_days(DUE) == 0 and s.grade(30, DUE) == 30
    assert s.late_days(DUE + timedelta(seconds=1)) == 1  # a started day counts whole
    assert s.late_days(DUE + timedelta(days=1)) == 1 and s.late_days(DUE + timedelta(days=1, seconds=1)) == 2
    assert s.grade(30, DUE + timedelta(hours=30)) == pytest.approx(24.0)
    assert Schedule(due_at=DUE, late_penalty_per_day=0.6).grade(10, DUE + timedelta(days=2)) == 0.0  # never below 0


def test_the_close():
    assert Schedule().close() is None  # no schedule, no deadline
    assert Schedule(due_at=DUE).close() == DUE  # no late policy: closes when due
    assert Schedule(due_at=DUE, late_penalty_per_day=0.1, late_days_max=2).close() == DUE + timedelta(days=2)
    explicit = DUE + timedelta(hours=5)
    assert Schedule(due_at=DUE, late_days_max=2, closes_at=explicit).close() == explicit
    assert Schedule(due_at=DUE, late_penalty_per_day=0.1).close() is None  # the grade reaches 0 instead
    naive = Schedule(due_at=datetime(2026, 12, 1, 11, 0))
    assert naive.due_at == DUE  # a time without a zone is UTC
    extended = Schedule(due_at=DUE, late_penalty_per_day=0.1, late_days_max=2).for_student(DUE + timedelta(days=3))
    assert extended.due_at == DUE + timedelta(days=3) and extended.close() == DUE + timedelta(days=5)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def blank_url(request, tmp_path):
    """An empty database: a SQLite file, or a scratch PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.sqlite3'}"
        return
    server = postgres_url()
    name = f"autograder_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    pg = server.rsplit("/", 1)[0] + "/" + name
    try:
        yield pg
    finally:
        from service.db.session import _engines

        if pg in _engines:
            _engines.pop(pg).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def url(blank_url):
    upgrade(blank_url)
    return blank_url


@pytest.fixture
def session(url):
    with session_factory(url)() as s:
        yield s


def graded(session, student: str, score: float, at: datetime, *, max_score: float = 10.0) -> str:
    """A submission received at ``at`` and stored through :func:`lifecycle.store`."""
    who = session.scalar(select(Student).where(Student.name == student))
    if who is None:
        create_token(session=session, student=student)
        who = session.scalar(select(Student).where(Student.name == student))
    row = Submission(student_id=who.id, assignment="ex08", content=b"x = 1\n", sha256="0", status="running",
                     attempts=1, received_at=at)
    session.add(row)
    session.commit()
    held = lifecycle.Claim(row.id, 1, b"", "ex08", 0, at)
    report = one_test_report(score=score, max_score=max_score, status="passed" if score == max_score else "failed")
    assert lifecycle.store(session, held, report=report)
    return row.id


def counted(session, student: str) -> CountedGrade | None:
    return session.scalar(select(CountedGrade).join(Student, Student.id == CountedGrade.student_id)
                          .where(Student.name == student).execution_options(populate_existing=True))


def test_storing_a_grade_writes_its_tests_and_the_counted_grade(session):
    sid = graded(session, "ann", 7, DUE - timedelta(days=1))
    rows = session.scalars(select(TestResultRow).where(TestResultRow.submission_id == sid)).all()
    assert [(r.number, r.name, r.score, r.status) for r in rows] == [("1", "check", 7.0, "failed")]
    g = counted(session, "ann")
    assert (g.submission_id, g.grade, g.late_days, g.attempts) == (sid, 7.0, 0, 1)


def test_latest_counts_by_default_even_when_it_is_worse(session):
    graded(session, "bea", 10, DUE - timedelta(days=2))
    worse = graded(session, "bea", 6, DUE - timedelta(days=1))
    g = counted(session, "bea")
    assert (g.submission_id, g.grade, g.best_grade, g.latest_grade, g.attempts) == (worse, 6.0, 10.0, 6.0, 2)


def test_a_schedule_change_recomputes_every_grade_with_the_penalty_and_best(session):
    on_time = graded(session, "cid", 8, DUE - timedelta(hours=1))
    late = graded(session, "cid", 10, DUE + timedelta(hours=30))  # 2 started days late
    graded(session, "dee", 5, DUE + timedelta(minutes=1))
    sched.set_override(session, "ex08", Schedule(due_at=DUE, late_penalty_per_day=0.25, late_days_max=3))
    grades.apply(session, {}, "ex08")
    g = counted(session, "cid")
    assert (g.submission_id, g.grade, g.late_days) == (late, 5.0, 2)  # latest: 10 x (1 - 0.25 x 2)
    assert counted(session, "dee").grade == pytest.approx(3.75)
    sched.set_override(session, "ex08", Schedule(due_at=DUE, late_penalty_per_day=0.25, late_days_max=3,
                                                  counted="best"))
    grades.apply(session, {}, "ex08")
    g = counted(session, "cid")
    assert (g.submission_id, g.grade, g.late_days) == (on_time, 8.0, 0)  # best after the penalty: 8 > 5


def test_best_takes_the_later_one_on_a_tie(session):
    sched.set_override(session, "ex08", Schedule(counted="best"))
    grades.apply(session, {}, "ex08")
    graded(session, "eve", 9, DUE - timedelta(days=3))
    later = graded(session, "eve", 9, DUE - timedelta(days=2))
    graded(session, "eve", 4, DUE - timedelta(days=1))
    assert counted(session, "eve").submission_id == later


def test_a_queued_or_failed_submission_does_not_count(session):
    first = graded(session, "fay", 9, DUE - timedelta(days=2))
    second = graded(session, "fay", 3, DUE - timedelta(days=1))
    queue = MemoryQueue()
    assert lifecycle.regrade(session, queue, second)  # queued again: the grade it had stays until re-stored
    held = lifecycle.claim(session, second, task_id="t")
    assert lifecycle.release(session, held, error="internal", final=True)  # failed: it no longer counts
    g = counted(session, "fay")
    assert (g.submission_id, g.grade) == (first, 9.0)


def test_a_regrade_that_changes_the_score_changes_the_counted_grade(session):
    sid = graded(session, "gus", 4, DUE - timedelta(days=1))
    assert lifecycle.regrade(session, MemoryQueue(), sid)
    held = lifecycle.claim(session, sid, task_id="t2")
    assert lifecycle.store(session, held, report=one_test_report(score=10, max_score=10))
    g = counted(session, "gus")
    assert (g.submission_id, g.grade) == (sid, 10.0)
    rows = session.scalars(select(TestResultRow).where(TestResultRow.submission_id == sid)).all()
    assert [(r.score, r.status) for r in rows] == [(10.0, "passed")]


def test_an_extension_moves_the_due_date_and_the_close_for_one_student(session, settings):
    sched.set_override(session, "ex08", Schedule(due_at=DUE, late_penalty_per_day=0.5, late_days_max=1))
    grades.apply(session, {}, "ex08")
    graded(session, "hal", 10, DUE + timedelta(hours=5))
    assert counted(session, "hal").grade == 5.0
    hal = session.scalar(select(Student.id).where(Student.name == "hal"))
    grades.set_extension(session, "ex08", hal, DUE + timedelta(days=1))
    assert counted(session, "hal").grade == 10.0
    intake.refuse_if_closed(session=session, settings=settings, assignment="ex08", student=session.get(Student, hal), now=DUE + timedelta(days=1, hours=23))  # still open
    with pytest.raises(Problem) as closed:
        intake.refuse_if_closed(session=session, settings=settings, assignment="ex08", student=session.get(Student, hal), now=DUE + timedelta(days=2, seconds=1))
    assert closed.value.status == 403 and closed.value.extra["closed_at"] == (DUE + timedelta(days=2)).isoformat()
    create_token(session=session, student="prof", instructor=True)
    prof = session.scalar(select(Student.id).where(Student.name == "prof"))
    intake.refuse_if_closed(session=session, settings=settings, assignment="ex08", student=session.get(Student, prof), now=DUE + timedelta(days=9))  # instructors: never closed


def test_environment_over_data_file_and_the_dashboard_over_both(session):
    env = {"ex08": {"due_at": DUE.isoformat(), "late_penalty_per_day": 0.1}}
    assert sched.effective(session, env, "ex08") == Schedule(due_at=DUE, late_penalty_per_day=0.1)
    assert sched.effective(session, {}, "ex08") == Schedule()  # ex08's data file sets none
    sched.set_override(session, "ex08", Schedule(counted="best"))
    assert sched.effective(session, env, "ex08") == Schedule(counted="best")


def test_a_database_at_0002_upgrades_and_keeps_its_grades(blank_url):
    url = blank_url
    upgrade(url, "0002")
    engine = create_engine(url)
    now = datetime.now(UTC)
    today = {"score": 5, "max_score": 6, "tests": [
        {"name": "a", "number": "1", "score": 2, "max_score": 2, "status": "passed", "hint": ""},
        {"name": "b", "number": "2", "score": 3, "max_score": 4, "status": "failed", "hint": "keep_convention"}]}
    previous = {"score": 1, "max_score": 2, "tests": [{"name": "a", "score": 1, "max_score": 2, "status": "failed"}]}
    with engine.begin() as c:
        c.execute(text("INSERT INTO students (id, name, is_instructor, created_at) VALUES "
                       "(1, 'old1', :no, :t), (2, 'old2', :no, :t)"), {"t": now, "no": False})
        for sid, student, report in (("s1", 1, today), ("s2", 2, previous)):
            c.execute(text("INSERT INTO submissions (id, student_id, assignment, filename, content, sha256, seed, "
                           "status, received_at, attempts, report, score, max_score) VALUES (:id, :st, 'ex08', "
                           "'layers.py', :content, '0', 1, 'graded', :t, 1, :r, :sc, :mx)"),
                      {"id": sid, "st": student, "t": now, "r": json.dumps(report), "sc": report["score"],
                       "mx": report["max_score"], "content": b"\x00"})
    engine.dispose()
    upgrade(url)
    with session_factory(url)() as s:
        rows = s.execute(select(TestResultRow.submission_id, TestResultRow.number, TestResultRow.hint)
                         .order_by(TestResultRow.submission_id, TestResultRow.number)).all()
        assert [tuple(r) for r in rows] == [("s1", "1", ""), ("s1", "2", "keep_convention"), ("s2", "1", "")]
        grades.apply(s, {}, "ex08")  # what the API's start-up does after the upgrade
        assert (counted(s, "old1").grade, counted(s, "old2").grade) == (5.0, 1.0)


def test_the_lms_receives_the_counted_grade_after_the_late_policy(session, settings):
    from service.db.lms_models import LmsLink
    from service.lms import delivery

    sched.set_override(session, "ex08", Schedule(due_at=DUE, late_penalty_per_day=0.1, late_days_max=5,
                                                  counted="best"))
    grades.apply(session, {}, "ex08")
    best = graded(session, "lms:u1", 10, DUE - timedelta(hours=1))
    late = graded(session, "lms:u1", 9, DUE + timedelta(hours=1))  # 9 x 0.9 = 8.1 < 10
    session.add(LmsLink(integration="default", course_id="c", assignment_id="ex08", student_id="u1",
                        external_submission_id="e2", submission_id=late, callback_url="http://127.0.0.1:9/g"))
    session.commit()
    [did] = delivery.schedule(session, late)
    d = session.get(delivery.LmsDelivery, did)
    body = delivery.payload(session, d, session.get(LmsLink, d.link_id), settings)
    assert (body["score"], body["grade"], body["counted_submission_id"], body["late_days"]) == (9.0, 10.0, best, 0)


def counted_flags(session) -> dict[str, bool]:
    rows = session.execute(select(TestResultRow.submission_id, TestResultRow.counted)).all()
    return {sid: bool(flag) for sid, flag in rows}


def test_only_the_counted_submissions_tests_are_flagged_and_instructors_never(session):
    first = graded(session, "ida", 10, DUE - timedelta(days=2))
    second = graded(session, "ida", 4, DUE - timedelta(days=1))
    assert counted_flags(session) == {first: False, second: True}
    sched.set_override(session, "ex08", Schedule(counted="best"))
    grades.apply(session, {}, "ex08")
    assert counted_flags(session) == {first: True, second: False}
    create_token(session=session, student="prof", instructor=True)
    prof = graded(session, "prof", 10, DUE)
    assert counted_flags(session)[prof] is False
    sched.set_override(session, "ex08", Schedule())
    grades.apply(session, {}, "ex08")
    assert counted_flags(session) == {first: False, second: True, prof: False}


def test_0006_flags_the_tests_of_counted_submissions_of_an_existing_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'at5.sqlite3'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as c:
        c.execute(text("INSERT INTO students (id, name, is_instructor, created_at) VALUES (1, 'a', 0, :t)"), {"t": now})
        for sid in ("old", "new"):
            c.execute(text("INSERT INTO submissions (id, student_id, assignment, filename, content, sha256, seed, "
                           "status, received_at, attempts) VALUES (:id, 1, 'ex08', 'layers.py', x'00', '0', 1, "
                           "'graded', :t, 1)"), {"id": sid, "t": now})
            c.execute(text("INSERT INTO test_results VALUES (:id, '1', 'a', 1, 1, 'passed', '')"), {"id": sid})
        c.execute(text("INSERT INTO counted_grades (assignment, student_id, submission_id, grade, late_days, "
                       "attempts, updated_at) VALUES ('ex08', 1, 'new', 1, 0, 2, :t)"), {"t": now})
    engine.dispose()
    upgrade(url)
    with session_factory(url)() as s:
        assert counted_flags(s) == {"old": False, "new": True}
        assert s.scalars(select(TestResultRow.assignment)).all() == ["ex08", "ex08"]


def test_the_course_is_every_non_instructor_with_a_token_an_lti_launch_or_a_submission(session):
    from service.db.lti_models import LtiAccount

    create_token(session=session, student="tok")
    create_token(session=session, student="gone")
    create_token(session=session, student="prof", instructor=True)
    session.execute(text("UPDATE tokens SET revoked_at = CURRENT_TIMESTAMP WHERE student_id = "
                         "(SELECT id FROM students WHERE name = 'gone')"))
    session.add_all([Student(name="launched"), Student(name="webhook:u1"), Student(name="nobody")])
    session.commit()
    ids = {name: sid for name, sid in session.execute(select(Student.name, Student.id))}
    session.add(LtiAccount(student_id=ids["launched"], issuer="https://lms", client_id="c", sub="s1"))
    session.commit()
    graded(session, "webhook:u1", 1, DUE)
    members = session.scalars(select(Student.name).where(course_member()).order_by(Student.name)).all()
    assert members == ["launched", "tok", "webhook:u1"]


def test_the_environments_schedule_reaches_the_one_settings_object(monkeypatch, session):
    from service.settings import Settings

    monkeypatch.setenv("AUTOGRADER_SCHEDULE", json.dumps({"ex08": {
        "due_at": "2026-12-01T12:00:00+01:00", "closes_at": "2026-12-03T12:00:00+01:00",
        "late_penalty_per_day": 0.1, "counted": "latest"}}))
    env = Settings(env="development").schedule
    s = sched.effective(session, env, "ex08")
    assert s.due_at == DUE and s.close() == DUE + timedelta(days=2) and s.late_penalty_per_day == 0.1
    monkeypatch.setenv("AUTOGRADER_SCHEDULE", '{"ex08": {"late_penalty_per_day": 2}}')
    with pytest.raises(ValueError, match="late_penalty_per_day"):
        Settings(env="development")


def test_an_assignments_data_file_gives_the_default_schedule(monkeypatch, tmp_path):
    import grader.assignments

    (tmp_path / "hw1").mkdir()
    (tmp_path / "hw1" / "assignment.toml").write_text(
        'id = "hw1"\ntitle = "hw1"\ntests = []\n[schedule]\ndue_at = "2026-12-01T12:00:00+01:00"\nlate_days_max = 2\ncounted = "best"\n')
    (tmp_path / "hw1_v2").mkdir()
    (tmp_path / "hw1_v2" / "assignment.toml").write_text('id = "hw1_v2"\nextends = "hw1"\n')
    monkeypatch.setattr(grader.assignments, "REFERENCE_DIR", tmp_path)
    grader.assignments.load.cache_clear()  # the data file is read once, by grader.assignments
    try:
        for name in ("hw1", "hw1_v2"):  # a variant inherits the schedule of what it extends
            assert sched.from_data_file(name) == Schedule(due_at=DUE, late_days_max=2, counted="best")
        env = {"hw1": {"late_penalty_per_day": 0.5}}  # the environment, field by field over the file
        assert sched.merge(sched.from_data_file("hw1"), env["hw1"]).late_penalty_per_day == 0.5
        assert sched.merge(sched.from_data_file("hw1"), env["hw1"]).counted == "best"
    finally:
        grader.assignments.load.cache_clear()
