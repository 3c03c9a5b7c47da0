"""Course grades: per-test results, counted grades, schedules, extensions (issues 10 and 14)

Backfills ``test_results`` from every stored report (today's format and the
previous one: a test without ``hint`` or ``number`` still reads). The counted
grades are computed by the API's start-up after the upgrade
(:func:`service.schedule_changes.apply_all`: no schedule has been applied yet).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:10:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade() -> None:
    op.create_table('test_results',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hint', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('submission_id', 'number')
    )
    op.create_index('ix_test_results_number_status', 'test_results', ['number', 'status'], unique=False)
    op.create_index('ix_test_results_hint', 'test_results', ['hint'], unique=False)
    op.create_table('counted_grades',
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=True),
    sa.Column('grade', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=True),
    sa.Column('late_days', sa.Integer(), nullable=False),
    sa.Column('latest_grade', sa.Float(), nullable=True),
    sa.Column('best_grade', sa.Float(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_activity', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('assignment', 'student_id')
    )
    op.create_index('ix_counted_grades_assignment_grade', 'counted_grades', ['assignment', 'grade'], unique=False)
    op.create_index('ix_counted_grades_submission', 'counted_grades', ['submission_id'], unique=False)
    op.create_table('schedules',
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('assignment', 'source')
    )
    op.create_table('extensions',
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('assignment', 'student_id')
    )
    op.create_index('ix_submissions_assignment_received', 'submissions', ['assignment', 'received_at'],
                    unique=False)
    _backfill_test_results()


def _backfill_test_results() -> None:
    conn = op.get_bind()
    results = sa.table('test_results', *(sa.column(c) for c in (
        'submission_id', 'number', 'name', 'score', 'max_score', 'status', 'hint')))
    rows = conn.execute(sa.text("SELECT id, report FROM submissions "
                                "WHERE status = 'graded' AND report IS NOT NULL"))
    batch: list[dict] = []
    for sid, report in rows:
        batch.extend(_tests_of(sid, report))
        if len(batch) >= BATCH:
            conn.execute(results.insert(), batch)
            batch = []
    if batch:
        conn.execute(results.insert(), batch)


def _tests_of(sid: str, report: str) -> list[dict]:
    try:
        tests = json.loads(report).get("tests") or []
    except (ValueError, AttributeError):
        return []
    seen: set[str] = set()
    out = []
    for i, t in enumerate(tests, start=1):
        number = str(t.get("number") or i)[:16]
        if number in seen:
            continue
        seen.add(number)
        out.append({"submission_id": sid, "number": number, "name": str(t.get("name") or number)[:300],
                    "score": float(t.get("score") or 0), "max_score": float(t.get("max_score") or 0),
                    "status": str(t.get("status") or "failed")[:16], "hint": str(t.get("hint") or "")[:100]})
    return out


def downgrade() -> None:
    op.drop_index('ix_submissions_assignment_received', table_name='submissions')
    op.drop_table('extensions')
    op.drop_table('schedules')
    op.drop_index('ix_counted_grades_submission', table_name='counted_grades')
    op.drop_index('ix_counted_grades_assignment_grade', table_name='counted_grades')
    op.drop_table('counted_grades')
    op.drop_index('ix_test_results_hint', table_name='test_results')
    op.drop_index('ix_test_results_number_status', table_name='test_results')
    op.drop_table('test_results')
