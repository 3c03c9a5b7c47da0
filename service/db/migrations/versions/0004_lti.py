"""LTI 1.3: platforms, server-side login state, accounts, line items (issue 13)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_platforms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('deployment_ids', sa.Text(), nullable=False),
    sa.Column('auth_login_url', sa.String(length=2000), nullable=False),
    sa.Column('auth_token_url', sa.String(length=2000), nullable=False),
    sa.Column('key_set_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'client_id', name='uq_lti_platform')
    )
    op.create_table('lti_values',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('lti_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_values_expires_at'), ['expires_at'], unique=False)

    op.create_table('lti_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('sub', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('last_launch_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'client_id', 'sub', name='uq_lti_account')
    )
    with op.batch_alter_table('lti_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_accounts_student_id'), ['student_id'], unique=False)

    op.create_table('lti_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('lineitem_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('student_id', 'lineitem_url', name='uq_lti_line_item')
    )
    with op.batch_alter_table('lti_line_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_line_items_student_id'), ['student_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lti_line_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_line_items_student_id'))
    op.drop_table('lti_line_items')
    with op.batch_alter_table('lti_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_accounts_student_id'))
    op.drop_table('lti_accounts')
    with op.batch_alter_table('lti_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_values_expires_at'))
    op.drop_table('lti_values')
    op.drop_table('lti_platforms')
