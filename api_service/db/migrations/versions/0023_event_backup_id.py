"""Events name their backup in a column: `instance_events.backup_id`.

An instance's steps page links each step to the backup it worked on. It joined the backups
on `message LIKE '%backup <id>%'`, which no index serves: every step was compared with
every backup of the project. The id is now stored when the step is recorded
(domain/events.py) and joined by equality; the rows recorded before get theirs here, read
from their messages the same way.

Revision ID: 0023
Revises: 0022
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'

_NAMES_BACKUP = re.compile(r'\bbackup ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                           r'[0-9a-f]{12})\b')

events = sa.table('instance_events', sa.column('id', sa.String),
                  sa.column('message', sa.String), sa.column('backup_id', sa.String))


def upgrade():
    with op.batch_alter_table('instance_events') as batch:
        batch.add_column(sa.Column('backup_id', sa.String(36), nullable=True))
    op.create_index('ix_instance_events_backup', 'instance_events', ['backup_id'])
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.id, events.c.message)
                        .where(events.c.message.like('%backup %'))).all()
    for event_id, message in rows:
        found = _NAMES_BACKUP.search(message or '')
        if found:
            bind.execute(events.update().where(events.c.id == event_id)
                         .values(backup_id=found.group(1)))


def downgrade():
    op.drop_index('ix_instance_events_backup', 'instance_events')
    with op.batch_alter_table('instance_events') as batch:
        batch.drop_column('backup_id')
