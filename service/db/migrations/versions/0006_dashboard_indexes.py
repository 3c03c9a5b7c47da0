"""The course pages at scale (issue 14): counted tests flagged and indexed, the live refresh's indexes

``test_results`` gains ``assignment`` and ``counted`` (true while its
submission is the counted one of a course student), and indexes that let the
overview's pass rates, hints and the CSV read the counted submissions' tests
without touching the table or joining (the two indexes of 0003 they replace
are dropped). ``/dashboard/live.json`` polls for the newest ``started_at`` and
``finished_at``: indexed too, instead of reading the whole submissions table
every 2 s. Both columns are backfilled.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('test_results', sa.Column('assignment', sa.String(length=64), nullable=True))
    op.add_column('test_results',
                  sa.Column('counted', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE test_results SET assignment = "
               "(SELECT s.assignment FROM submissions s WHERE s.id = test_results.submission_id)")
    op.execute(sa.text("UPDATE test_results SET counted = :yes WHERE submission_id IN ("
                       "SELECT cg.submission_id FROM counted_grades cg JOIN students st ON st.id = "
                       "cg.student_id "
                       "WHERE st.is_instructor = :no)").bindparams(yes=True, no=False))
    op.drop_index('ix_test_results_number_status', table_name='test_results')
    op.drop_index('ix_test_results_hint', table_name='test_results')
    op.create_index('ix_test_results_counted', 'test_results',
                    ['assignment', 'counted', 'number', 'status', 'name'], unique=False)
    op.create_index('ix_test_results_counted_hint', 'test_results',
                    ['assignment', 'counted', 'hint', 'submission_id'], unique=False)
    op.create_index('ix_submissions_finished_at', 'submissions', ['finished_at'], unique=False)
    op.create_index('ix_submissions_started_at', 'submissions', ['started_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_submissions_started_at', table_name='submissions')
    op.drop_index('ix_submissions_finished_at', table_name='submissions')
    op.drop_index('ix_test_results_counted_hint', table_name='test_results')
    op.drop_index('ix_test_results_counted', table_name='test_results')
    op.create_index('ix_test_results_hint', 'test_results', ['hint'], unique=False)
    op.create_index('ix_test_results_number_status', 'test_results', ['number', 'status'], unique=False)
    with op.batch_alter_table('test_results') as batch:
        batch.drop_column('counted')
        batch.drop_column('assignment')
