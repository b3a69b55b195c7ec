"""Backups list newest first: the project index ends in (created, id) for keyset paging.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'


def upgrade():
    op.drop_index('ix_backups_project_live', table_name='backups')
    op.create_index('ix_backups_project_live', 'backups',
                    ['project_id', 'deleted', 'created', 'id'])


def downgrade():
    op.drop_index('ix_backups_project_live', table_name='backups')
    op.create_index('ix_backups_project_live', 'backups', ['project_id', 'deleted', 'id'])
