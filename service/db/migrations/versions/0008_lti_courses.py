"""LTI courses: contexts, rosters (Names and Roles), per-assignment line items (issue 21)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:30:05

Three tables, none changed: lti_contexts (a course, its NRPS and AGS endpoints, when its roster was
fetched), lti_members (its roster; members who left stay, inactive) and lti_context_line_items (one
line item per assignment and course).
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lti_contexts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('context_id', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('memberships_url', sa.String(length=2000), nullable=True),
    sa.Column('differences_url', sa.String(length=2000), nullable=True),
    sa.Column('lineitems_url', sa.String(length=2000), nullable=True),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('full_synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sync_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('issuer', 'client_id', 'context_id', name='uq_lti_context')
    )
    op.create_table('lti_context_line_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_pk', sa.Integer(), nullable=False),
    sa.Column('assignment', sa.String(length=64), nullable=False),
    sa.Column('lineitem_url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_pk'], ['lti_contexts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('context_pk', 'assignment', name='uq_lti_context_line_item')
    )
    with op.batch_alter_table('lti_context_line_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_context_line_items_context_pk'), ['context_pk'],
                              unique=False)

    op.create_table('lti_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('context_pk', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=True),
    sa.Column('roles', sa.Text(), nullable=False),
    sa.Column('learner', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('full_name', sa.String(length=300), nullable=True),
    sa.Column('email', sa.String(length=300), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['context_pk'], ['lti_contexts.id'], ),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('context_pk', 'user_id', name='uq_lti_member')
    )
    with op.batch_alter_table('lti_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lti_members_context_pk'), ['context_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_lti_members_student_id'), ['student_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lti_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_members_student_id'))
        batch_op.drop_index(batch_op.f('ix_lti_members_context_pk'))

    op.drop_table('lti_members')
    with op.batch_alter_table('lti_context_line_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lti_context_line_items_context_pk'))

    op.drop_table('lti_context_line_items')
    op.drop_table('lti_contexts')
