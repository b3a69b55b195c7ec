"""Catalogue and quotas: datastores, versions, flavors, volume types, quotas.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None


def upgrade():
    op.create_table(
        'datastores',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('default_version_id', sa.String(36), nullable=True))
    op.create_table(
        'datastore_versions',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('datastore_id', sa.String(36), sa.ForeignKey('datastores.id'),
                  nullable=False, index=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('version', sa.String(255), nullable=False),
        sa.Column('manager', sa.String(255), nullable=False),
        sa.Column('active', sa.Boolean, nullable=False),
        sa.Column('image_id', sa.String(255)),
        sa.Column('image_tags', sa.String(255)),
        sa.Column('packages', sa.Text),
        sa.Column('engine_path', sa.String(1024)),
        sa.UniqueConstraint('datastore_id', 'name', 'version'))
    op.create_table(
        'flavors',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('ram', sa.Integer, nullable=False),
        sa.Column('vcpus', sa.Integer, nullable=False),
        sa.Column('disk', sa.Integer, nullable=False),
        sa.Column('ephemeral', sa.Integer, nullable=False))
    op.create_table(
        'volume_types',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False, unique=True),
        sa.Column('description', sa.String(255), nullable=False),
        sa.Column('is_public', sa.Boolean, nullable=False),
        sa.Column('root_path', sa.String(1024)))
    op.create_table(
        'datastore_version_flavors',
        sa.Column('version_id', sa.String(36), sa.ForeignKey('datastore_versions.id'),
                  primary_key=True),
        sa.Column('flavor_id', sa.String(36), sa.ForeignKey('flavors.id'), primary_key=True))
    op.create_table(
        'datastore_version_volume_types',
        sa.Column('version_id', sa.String(36), sa.ForeignKey('datastore_versions.id'),
                  primary_key=True),
        sa.Column('volume_type_id', sa.String(36), sa.ForeignKey('volume_types.id'),
                  primary_key=True))
    op.create_table(
        'quotas',
        sa.Column('project_id', sa.String(64), primary_key=True),
        sa.Column('resource', sa.String(64), primary_key=True),
        sa.Column('hard_limit', sa.Integer, nullable=False))
    op.create_table(
        'quota_usages',
        sa.Column('project_id', sa.String(64), primary_key=True),
        sa.Column('resource', sa.String(64), primary_key=True),
        sa.Column('in_use', sa.Integer, nullable=False),
        sa.Column('reserved', sa.Integer, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False))
