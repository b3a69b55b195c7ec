"""Which task manager runs an instance's operation, and which task managers are alive (#15).

A task manager killed in the middle of an operation leaves the instance in a transitional
status; another task manager (or the restarted one) settles it at once instead of at its
deadline, but only when the one that ran it is dead: `task_managers.seen_at` is each live
task manager's heartbeat, `instances.task_owner` the one running the instance's operation,
`instances.task_quota` the sizes a resize reserved quota for (JSON, e.g. {"ram": 2048}) while
that reservation is outstanding: whoever ends the resize settles it against the row's sizes
and clears it, exactly once.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'


def upgrade():
    op.create_table(
        'task_managers',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('pid', sa.Integer, nullable=False),
        sa.Column('started_at', sa.DateTime, nullable=False),
        sa.Column('seen_at', sa.DateTime, nullable=False))
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('task_owner', sa.String(36), nullable=True))
        batch.add_column(sa.Column('task_quota', sa.Text, nullable=True))


def downgrade():
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('task_quota')
        batch.drop_column('task_owner')
    op.drop_table('task_managers')
