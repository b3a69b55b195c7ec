"""Configuration groups, the parameters each datastore version accepts, and the group an
instance has attached.

Parameters are seeded per version from the engine's rule file when the version is
registered (domain/catalogue_admin.py), not here.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'


def upgrade():
    op.create_table(
        'configurations',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('description', sa.String(512), nullable=True),
        sa.Column('datastore_version_id', sa.String(36), nullable=False),
        sa.Column('values', sa.Text, nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.Column('updated', sa.DateTime, nullable=False),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime, nullable=True))
    op.create_index('ix_configurations_project_live', 'configurations',
                    ['project_id', 'deleted', 'id'])
    op.create_table(
        'configuration_parameters',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_version_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(128), nullable=False),
        sa.Column('data_type', sa.String(16), nullable=False),
        sa.Column('min_size', sa.String(40), nullable=True),
        sa.Column('max_size', sa.String(40), nullable=True),
        sa.Column('restart_required', sa.Boolean, nullable=False),
        sa.Column('unit', sa.String(16), nullable=True),
        sa.Column('deleted', sa.Boolean, nullable=False),
        sa.Column('deleted_at', sa.DateTime, nullable=True),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.UniqueConstraint('datastore_version_id', 'name'))
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('configuration_id', sa.String(36), nullable=True))
    op.create_index('ix_instances_configuration', 'instances', ['configuration_id', 'id'])


def downgrade():
    op.drop_index('ix_instances_configuration', table_name='instances')
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('configuration_id')
    op.drop_table('configuration_parameters')
    op.drop_index('ix_configurations_project_live', table_name='configurations')
    op.drop_table('configurations')
