"""Switchover reports (#17): one row per promote or eject of a replica set, kept after its
instances are deleted (models_replication.Switchover).

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '0022'
down_revision = '0021'

# Sub-second times (MySQL's and MariaDB's DATETIME keeps whole seconds unless told).
PRECISE = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')


def upgrade():
    op.create_table(
        'switchovers',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('operation', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('old_source_id', sa.String(36), nullable=False),
        sa.Column('new_source_id', sa.String(36), nullable=True),
        sa.Column('started', PRECISE, nullable=False),
        sa.Column('finished', PRECISE, nullable=True),
        sa.Column('detection_seconds', sa.Float, nullable=True),
        sa.Column('write_stopped_at', PRECISE, nullable=True),
        sa.Column('write_resumed_at', PRECISE, nullable=True),
        sa.Column('write_downtime_seconds', sa.Float, nullable=True),
        sa.Column('transactions_lost', sa.Integer, nullable=True),
        sa.Column('canary_writes', sa.Integer, nullable=True),
        sa.Column('canary_failures', sa.Integer, nullable=True),
        sa.Column('message', sa.String(255), nullable=True),
        sa.Column('task_owner', sa.String(36), nullable=True))
    op.create_index('ix_switchovers_old_source', 'switchovers', ['old_source_id', 'started'])
    op.create_index('ix_switchovers_new_source', 'switchovers', ['new_source_id', 'started'])
    op.create_index('ix_switchovers_status', 'switchovers', ['status'])


def downgrade():
    op.drop_index('ix_switchovers_status', 'switchovers')
    op.drop_index('ix_switchovers_new_source', 'switchovers')
    op.drop_index('ix_switchovers_old_source', 'switchovers')
    op.drop_table('switchovers')
