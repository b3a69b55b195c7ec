"""One backup strategy per project (instance_id '') or instance: concurrent creates cannot both
insert.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'


def upgrade():
    op.create_index('uq_backup_strategies_target', 'backup_strategies',
                    ['project_id', 'instance_id'], unique=True)


def downgrade():
    op.drop_index('uq_backup_strategies_target', table_name='backup_strategies')
