"""The management API's instances: who enabled root and when, and indexes for listing
every project's instances a page at a time.

Deleted instances keep their rows now (marked deleted, their address released), so the
operator's list walks (deleted, id) — or (deleted, status, id) with a status filter —
and reads one page, however many rows there are.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'


def upgrade():
    op.create_table(
        'root_enabled_history',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('user_id', sa.String(64), nullable=True),
        sa.Column('created', sa.DateTime, nullable=False))
    op.create_index('ix_root_enabled_history_instance', 'root_enabled_history',
                    ['instance_id', 'created'])
    op.create_index('ix_instances_deleted_id', 'instances', ['deleted', 'id'])
    op.create_index('ix_instances_deleted_status', 'instances', ['deleted', 'status', 'id'])


def downgrade():
    op.drop_index('ix_instances_deleted_status', 'instances')
    op.drop_index('ix_instances_deleted_id', 'instances')
    op.drop_table('root_enabled_history')
