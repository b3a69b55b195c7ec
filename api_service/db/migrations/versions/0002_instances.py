"""Instances, server groups, per-instance keys, faults and events.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'


def upgrade():
    # What the version's guest manager can do ('databases,users,root'), declared by it.
    with op.batch_alter_table('datastore_versions') as batch:
        batch.add_column(sa.Column('capabilities', sa.String(255), nullable=False,
                                   server_default=''))
    op.create_table(
        'server_groups',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False, index=True),
        sa.Column('policy', sa.String(32), nullable=False),
        sa.Column('created', sa.DateTime, nullable=False))
    op.create_table(
        'instances',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('task', sa.String(64)),
        sa.Column('task_deadline', sa.DateTime),
        sa.Column('operating_status', sa.String(32), nullable=False),
        sa.Column('service_status_updated', sa.DateTime),
        sa.Column('datastore_version_id', sa.String(36), sa.ForeignKey('datastore_versions.id'),
                  nullable=False),
        sa.Column('flavor_id', sa.String(36), nullable=False),
        sa.Column('ram_mb', sa.Integer, nullable=False),
        sa.Column('vcpus', sa.Integer, nullable=False),
        sa.Column('volume_size', sa.Integer, nullable=False),
        sa.Column('volume_type_id', sa.String(36)),
        sa.Column('volume_used_bytes', sa.BigInteger),
        sa.Column('availability_zone', sa.String(255)),
        sa.Column('host', sa.String(255)),
        sa.Column('address', sa.String(64), unique=True),
        sa.Column('server_group_id', sa.String(36), sa.ForeignKey('server_groups.id')),
        sa.Column('locality', sa.String(32)),
        sa.Column('is_public', sa.Boolean, nullable=False),
        sa.Column('allowed_cidrs', sa.Text, nullable=False),
        sa.Column('region', sa.String(255)),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime))
    op.create_index('ix_instances_project_live', 'instances', ['project_id', 'deleted', 'id'])
    op.create_table(
        'instance_keys',
        sa.Column('instance_id', sa.String(36), primary_key=True),
        sa.Column('encrypted_key', sa.Text, nullable=False))
    op.create_table(
        'instance_faults',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False, index=True),
        sa.Column('message', sa.String(255), nullable=False),
        sa.Column('details', sa.Text, nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False))
    op.create_table(
        'instance_events',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False, index=True),
        sa.Column('operation', sa.String(64), nullable=False),
        sa.Column('step', sa.String(64), nullable=False),
        sa.Column('started', sa.DateTime, nullable=False),
        sa.Column('finished', sa.DateTime),
        sa.Column('outcome', sa.String(16), nullable=False),
        sa.Column('message', sa.String(255), nullable=False))
