"""Modules and the instances they are applied to, and the lock module writes take.

The `modules` service lock serialises what a uniqueness or live_update check must see
unchanged until its write commits (create, update, delete, apply).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'


def upgrade():
    op.create_table(
        'modules',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('type', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512), nullable=True),
        sa.Column('datastore_id', sa.String(36), nullable=True),
        sa.Column('datastore_version_id', sa.String(36), nullable=True),
        sa.Column('contents', sa.Text, nullable=False),
        sa.Column('md5', sa.String(32), nullable=False),
        sa.Column('auto_apply', sa.Boolean, nullable=False),
        sa.Column('visible', sa.Boolean, nullable=False),
        sa.Column('live_update', sa.Boolean, nullable=False),
        sa.Column('priority_apply', sa.Boolean, nullable=False),
        sa.Column('apply_order', sa.Integer, nullable=False),
        sa.Column('is_admin', sa.Boolean, nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime, nullable=True))
    op.create_index('ix_modules_project_live', 'modules', ['project_id', 'deleted', 'id'])
    op.create_index('ix_modules_auto_apply', 'modules', ['auto_apply', 'deleted'])
    op.create_table(
        'instance_modules',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('instance_id', sa.String(36), nullable=False),
        sa.Column('module_id', sa.String(36), nullable=False),
        sa.Column('md5', sa.String(32), nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime, nullable=True))
    op.create_index('ix_instance_modules_instance', 'instance_modules',
                    ['instance_id', 'deleted'])
    op.create_index('ix_instance_modules_module', 'instance_modules',
                    ['module_id', 'deleted', 'md5'])
    locks = sa.table('service_locks', sa.column('name', sa.String))
    op.bulk_insert(locks, [{'name': 'modules'}])


def downgrade():
    op.execute("DELETE FROM service_locks WHERE name = 'modules'")
    op.drop_index('ix_instance_modules_module', table_name='instance_modules')
    op.drop_index('ix_instance_modules_instance', table_name='instance_modules')
    op.drop_table('instance_modules')
    op.drop_index('ix_modules_auto_apply', table_name='modules')
    op.drop_index('ix_modules_project_live', table_name='modules')
    op.drop_table('modules')
