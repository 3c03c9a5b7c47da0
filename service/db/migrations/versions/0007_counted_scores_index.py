"""The CSV's per-test scores from an index alone (issue 14)

The export pivots the counted submissions' test scores per submission; with
``submission_id, number, score`` (and ``hint``, for the overview's hints) in
one index on the counted range it reads no table row. It replaces 0006's
hint index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 14:45:00
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_test_results_counted_hint', table_name='test_results')
    op.create_index('ix_test_results_counted_scores', 'test_results',
                    ['assignment', 'counted', 'submission_id', 'number', 'score', 'hint'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_test_results_counted_scores', table_name='test_results')
    op.create_index('ix_test_results_counted_hint', 'test_results',
                    ['assignment', 'counted', 'hint', 'submission_id'], unique=False)
