"""LMS links and the delivery log (issue 5)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 11:05:48.517933
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lms_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration', sa.String(length=64), nullable=False),
    sa.Column('course_id', sa.String(length=200), nullable=False),
    sa.Column('assignment_id', sa.String(length=200), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('external_submission_id', sa.String(length=200), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('callback_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('integration', 'external_submission_id', name='uq_lms_external_id')
    )
    with op.batch_alter_table('lms_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_links_submission_id'), ['submission_id'], unique=False)

    op.create_table('lms_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('grade_attempt', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status_codes', sa.Text(), nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_id'], ['lms_links.id'], ),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_id', 'grade_attempt', name='uq_lms_delivery_attempt')
    )
    with op.batch_alter_table('lms_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_deliveries_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_deliveries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_deliveries_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lms_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_deliveries_submission_id'))
        batch_op.drop_index(batch_op.f('ix_lms_deliveries_status'))
        batch_op.drop_index(batch_op.f('ix_lms_deliveries_link_id'))

    op.drop_table('lms_deliveries')
    with op.batch_alter_table('lms_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lms_links_submission_id'))

    op.drop_table('lms_links')
