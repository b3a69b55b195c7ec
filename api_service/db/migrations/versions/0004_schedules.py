"""Backup schedules and executions; backups remember the schedule that made them.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'


def upgrade():
    op.create_table(
        'backup_schedules',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('instance_id', sa.String(36), nullable=False, index=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512)),
        sa.Column('pattern', sa.String(128), nullable=False),
        sa.Column('incremental', sa.Boolean, nullable=False),
        sa.Column('retention', sa.Integer, nullable=False),
        sa.Column('enabled', sa.Boolean, nullable=False),
        sa.Column('next_execution_time', sa.DateTime, nullable=False, index=True),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False))
    op.create_table(
        'backup_schedule_executions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('schedule_id', sa.String(36), nullable=False, index=True),
        sa.Column('scheduled_time', sa.DateTime, nullable=False),
        sa.Column('started', sa.DateTime),
        sa.Column('finished', sa.DateTime),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('backup_id', sa.String(36)),
        sa.Column('output', sa.String(255), nullable=False),
        sa.UniqueConstraint('schedule_id', 'scheduled_time'))
    with op.batch_alter_table('backups') as batch:
        batch.add_column(sa.Column('schedule_id', sa.String(36), index=True))
