"""MariaDB versions declare `user_hosts` (#14): their users are name@host, so a user's host
means something; on a version without it the API refuses a host in words.

Versions registered before this declared capabilities without it; the embedded launcher
rewrites its own at start, but versions an operator registered keep their stored list, and
would refuse every host. Add it where the MariaDB manager's users are.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'

versions = sa.table('datastore_versions', sa.column('id', sa.String),
                    sa.column('manager', sa.String), sa.column('capabilities', sa.String))


def _rewrite(change):
    bind = op.get_bind()
    rows = bind.execute(sa.select(versions.c.id, versions.c.capabilities)
                        .where(versions.c.manager == 'mariadb')).all()
    for version_id, capabilities in rows:
        declared = set(filter(None, (capabilities or '').split(',')))
        changed = change(declared)
        if changed != declared:
            bind.execute(versions.update().where(versions.c.id == version_id)
                         .values(capabilities=','.join(sorted(changed))))


def upgrade():
    _rewrite(lambda declared: declared | {'user_hosts'} if 'users' in declared else declared)


def downgrade():
    _rewrite(lambda declared: declared - {'user_hosts'})
