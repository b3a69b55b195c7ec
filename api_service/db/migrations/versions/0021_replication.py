"""Replication (#17): a replica's source, and the `replication` capability.

`instances.replica_of_id` is the id of the instance a replica follows (null for a source or
a standalone instance); the index serves a source's list of replicas (its view, its delete's
refusal) and a page's replicas in one query.

MariaDB, PostgreSQL and Redis managers declare `replication` now; versions registered before
keep their stored list, and would refuse every replica: add it to them, as 0020 did for
`user_hosts`. Redis declares `root_per_member` too (its accounts do not replicate, so root set
on a source is set on its replicas): without it, a replica of a Redis source with root would
stay readable without the password.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'

MANAGERS = ('mariadb', 'postgresql', 'redis')
# manager -> what it declares now beside `replication`.
MORE = {'redis': {'root_per_member'}}

versions = sa.table('datastore_versions', sa.column('id', sa.String),
                    sa.column('manager', sa.String), sa.column('capabilities', sa.String))


def _rewrite(change):
    bind = op.get_bind()
    rows = bind.execute(sa.select(versions.c.id, versions.c.manager, versions.c.capabilities)
                        .where(versions.c.manager.in_(MANAGERS))).all()
    for version_id, manager, capabilities in rows:
        declared = set(filter(None, (capabilities or '').split(',')))
        changed = change(declared, {'replication'} | MORE.get(manager, set()))
        if changed != declared:
            bind.execute(versions.update().where(versions.c.id == version_id)
                         .values(capabilities=','.join(sorted(changed))))


def upgrade():
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('replica_of_id', sa.String(36), nullable=True))
    op.create_index('ix_instances_replica_of', 'instances', ['replica_of_id', 'deleted'])
    _rewrite(lambda declared, added: declared | added)


def downgrade():
    _rewrite(lambda declared, added: declared - added)
    op.drop_index('ix_instances_replica_of', 'instances')
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('replica_of_id')
