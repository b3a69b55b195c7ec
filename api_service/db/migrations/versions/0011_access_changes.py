"""An access change in progress: when its claim lapses.

`PUT /instances/{id}` with `access` (and the task manager's re-sending of an instance's
sources) claims the instance for the read-apply-record sequence by setting this, under the
row's lock, and clears it when done; a second change meanwhile is a 409. A claim whose
holder died lapses at this time.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('access_change_until', sa.DateTime, nullable=True))


def downgrade():
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('access_change_until')
