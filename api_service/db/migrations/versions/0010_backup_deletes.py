"""Backup deletes that end: DELETING until the objects are gone, then DELETED (the row stays, as
history), or DELETE_FAILED with the reason and the janitor's next attempt.

Rows deleted before this revision were hidden at once and their objects deleted without a record
of how it went, so some may have been left behind: those rows become DELETING with an attempt due
now, and the janitor deletes whatever is still there (deleting a missing object succeeds).

Revision ID: 0010
Revises: 0009
"""
import datetime

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'


def upgrade():
    with op.batch_alter_table('backups') as batch:
        batch.add_column(sa.Column('deleted_at', sa.DateTime, nullable=True))
        batch.add_column(sa.Column('delete_attempts', sa.Integer, nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('delete_next_attempt', sa.DateTime, nullable=True))
        batch.create_index('ix_backups_delete_next_attempt', ['delete_next_attempt'])
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    backups = sa.table('backups', sa.column('status', sa.String), sa.column('deleted', sa.Boolean),
                       sa.column('location', sa.String), sa.column('updated', sa.DateTime),
                       sa.column('deleted_at', sa.DateTime),
                       sa.column('delete_next_attempt', sa.DateTime))
    deleted = backups.c.deleted.is_(True)
    op.execute(backups.update().where(deleted, backups.c.location.is_not(None)).values(
        status='DELETING', delete_next_attempt=now))
    op.execute(backups.update().where(deleted, backups.c.location.is_(None)).values(
        status='DELETED', deleted_at=backups.c.updated))


def downgrade():
    with op.batch_alter_table('backups') as batch:
        batch.drop_index('ix_backups_delete_next_attempt')
        batch.drop_column('delete_next_attempt')
        batch.drop_column('delete_attempts')
        batch.drop_column('deleted_at')
