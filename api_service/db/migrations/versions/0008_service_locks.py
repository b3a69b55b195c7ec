"""Named lock rows: placement decisions hold one across task managers.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'


def upgrade():
    table = op.create_table('service_locks',
                            sa.Column('name', sa.String(64), primary_key=True))
    op.bulk_insert(table, [{'name': 'placement'}])


def downgrade():
    op.drop_table('service_locks')
