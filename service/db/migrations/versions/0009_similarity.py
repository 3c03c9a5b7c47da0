"""Similarity runs, their flagged pairs and the TAs' verdicts (issue 20)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'similarity_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_similarity_runs_assignment', 'similarity_runs', ['assignment', 'id'], unique=False)
    op.create_table(
        'similarity_pairs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('a_submission', sa.String(length=32), nullable=False),
        sa.Column('b_submission', sa.String(length=32), nullable=True),
        sa.Column('known', sa.String(length=500), nullable=True),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('matches', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['similarity_runs.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_similarity_pairs_run_id', 'similarity_pairs', ['run_id'], unique=False)
    op.create_table(
        'similarity_verdicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('assignment', sa.String(length=64), nullable=False),
        sa.Column('a_submission', sa.String(length=32), nullable=False),
        sa.Column('b_key', sa.String(length=520), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('assignment', 'a_submission', 'b_key', name='uq_similarity_verdict'))


def downgrade() -> None:
    op.drop_table('similarity_verdicts')
    op.drop_index('ix_similarity_pairs_run_id', table_name='similarity_pairs')
    op.drop_table('similarity_pairs')
    op.drop_index('ix_similarity_runs_assignment', table_name='similarity_runs')
    op.drop_table('similarity_runs')
