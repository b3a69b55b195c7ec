"""Datastore version visibility and maturity, and the projects a private version admits.

Existing versions become public and stable: nothing an operator registered before this
revision disappears from a tenant's catalogue.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'


def upgrade():
    op.add_column('datastore_versions', sa.Column(
        'visibility', sa.String(16), nullable=False, server_default='public'))
    op.add_column('datastore_versions', sa.Column(
        'maturity', sa.String(32), nullable=False, server_default='stable'))
    op.create_table(
        'datastore_version_members',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('version_id', sa.String(36), sa.ForeignKey('datastore_versions.id'),
                  nullable=False),
        sa.Column('tenant_id', sa.String(64), nullable=False),
        sa.Column('created', sa.DateTime, nullable=False),
        sa.UniqueConstraint('version_id', 'tenant_id', name='uq_datastore_version_member'))
    op.create_index('ix_datastore_version_members_tenant_id', 'datastore_version_members',
                    ['tenant_id'])


def downgrade():
    op.drop_index('ix_datastore_version_members_tenant_id', 'datastore_version_members')
    op.drop_table('datastore_version_members')
    with op.batch_alter_table('datastore_versions') as batch:
        batch.drop_column('maturity')
        batch.drop_column('visibility')
