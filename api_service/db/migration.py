"""Forward-only schema migrations with alembic (`dbaas-manage db sync`)."""
import os

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from api_service.db import session

MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(connection):
    cfg = Config()
    cfg.set_main_option('script_location', MIGRATIONS)
    cfg.attributes['connection'] = connection
    return cfg


def sync():
    """Upgrade the database to the newest revision; a no-op when current."""
    engine = session.get_factory().kw['bind']
    with engine.begin() as connection:
        command.upgrade(_config(connection), 'head')


def current_revision():
    engine = session.get_factory().kw['bind']
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision():
    return ScriptDirectory.from_config(_config(None)).get_current_head()
