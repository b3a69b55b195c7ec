"""A counter of catalogue changes, so API workers can cache the catalogue and see every change.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'


def upgrade():
    table = op.create_table('catalogue_generation',
                            sa.Column('id', sa.Integer, primary_key=True),
                            sa.Column('generation', sa.Integer, nullable=False))
    op.bulk_insert(table, [{'id': 1, 'generation': 0}])


def downgrade():
    op.drop_table('catalogue_generation')
