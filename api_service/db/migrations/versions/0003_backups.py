"""Backups and backup strategies.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'


def upgrade():
    op.create_table(
        'backups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512)),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('instance_id', sa.String(36), index=True),
        sa.Column('parent_id', sa.String(36), index=True),
        sa.Column('datastore_version_id', sa.String(36), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('size_bytes', sa.BigInteger),
        sa.Column('checksum', sa.String(128)),
        sa.Column('location', sa.String(1024)),
        sa.Column('engine_metadata', sa.Text, nullable=False),
        sa.Column('fail_reason', sa.String(255)),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False))
    op.create_index('ix_backups_project_live', 'backups', ['project_id', 'deleted', 'id'])
    op.create_table(
        'backup_strategies',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False, index=True),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('backend', sa.String(32), nullable=False),
        sa.Column('swift_container', sa.String(255), nullable=False))
