"""Executions by state and finish time.

The scheduler looks every tick for runs still RUNNING and for runs that succeeded lately
(their schedules' retention): without this index both read every run ever recorded.

Revision ID: 0012
Revises: 0011
"""
from alembic import op

revision = '0012'
down_revision = '0011'


def upgrade():
    op.create_index('ix_backup_schedule_executions_state_finished',
                    'backup_schedule_executions', ['state', 'finished'])


def downgrade():
    op.drop_index('ix_backup_schedule_executions_state_finished',
                  table_name='backup_schedule_executions')
