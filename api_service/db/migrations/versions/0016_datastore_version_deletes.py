"""Deleted datastore versions keep their rows for the records that name them.

A version only deleted instances, backups or configuration groups refer to is marked
deleted instead of removed, so an operator's show of a deleted instance still names its
version. Its (datastore, name, version) becomes free again: the unique constraint turns
into a unique index over the versions that are not deleted (a partial index, which SQLite
and PostgreSQL both have), so the same name can be registered anew.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'

# 0001's constraint was unnamed: PostgreSQL named it itself; on SQLite the batch copy
# reflects it nameless, and this convention gives it the name dropped below.
_CONVENTION = {'uq': 'uq_%(table_name)s_%(column_0_name)s'}
_LIVE = sa.text('deleted = false')


def _old_constraint():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        return 'datastore_versions_datastore_id_name_version_key'
    if dialect == 'mysql':
        return 'datastore_id'       # MariaDB names an unnamed key after its first column
    return 'uq_datastore_versions_datastore_id'


def upgrade():
    with op.batch_alter_table('datastore_versions', naming_convention=_CONVENTION) as batch:
        batch.add_column(sa.Column('deleted', sa.Boolean, nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('deleted_at', sa.DateTime, nullable=True))
        batch.drop_constraint(_old_constraint(), type_='unique')
    # MariaDB has no partial index: there the index is not unique, and registration's own
    # check (datastore_admin._name_taken) is what keeps live names unique; it runs after the
    # catalogue generation's UPDATE, whose row lock serialises every catalogue change.
    op.create_index('uq_datastore_versions_live_name', 'datastore_versions',
                    ['datastore_id', 'name', 'version'],
                    unique=op.get_bind().dialect.name != 'mysql',
                    sqlite_where=_LIVE, postgresql_where=_LIVE)
    # Maturity now comes from each version's manager. No operator could set it before (the
    # API refused the key), so every existing 'stable' was the old default: give the
    # managers' own (MariaDB and PostgreSQL stable, the rest experimental, as
    # guestagent/datastore declares them at this revision).
    op.execute("UPDATE datastore_versions SET maturity = 'experimental' "
               "WHERE manager NOT IN ('mariadb', 'postgresql')")


def downgrade():
    op.drop_index('uq_datastore_versions_live_name', 'datastore_versions')
    op.execute('DELETE FROM datastore_versions WHERE deleted = true')
    with op.batch_alter_table('datastore_versions', naming_convention=_CONVENTION) as batch:
        batch.create_unique_constraint(_old_constraint(), ['datastore_id', 'name', 'version'])
        batch.drop_column('deleted_at')
        batch.drop_column('deleted')
