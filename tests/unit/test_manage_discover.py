"""`dbaas-manage datastore discover` (issue #12): registering the installed engines gives
each version its manager's capabilities and maturity, repairs a version left without
capabilities, and keeps what the operator chose for a version that already exists."""
import pytest
from sqlalchemy import select

from api_service.cmd import manage
from api_service.db import models
from api_service.db.session import session_scope
from api_service.drivers.compute import local_engines
from api_service.guestagent.datastore import get_manager_class

REDIS = local_engines.Engine('redis', '7.0', '7.0.15', 'redis', '/usr/bin')
PG = local_engines.Engine('postgresql', '18', '18.1', 'postgresql', '/opt/pg18/bin')


@pytest.fixture
def discover(conf, monkeypatch, capsys):
    """Runs the command over the given engines (the test's database already configured)."""
    monkeypatch.setattr(manage.config, 'load', lambda args: None)

    def run(*engines):
        monkeypatch.setattr(local_engines, 'discover', lambda: list(engines))
        assert manage.main(['datastore', 'discover']) == 0
        return capsys.readouterr().out
    return run


def _row(datastore, name):
    with session_scope() as session:
        return session.scalars(select(models.DatastoreVersion).join(models.Datastore).where(
            models.Datastore.name == datastore, models.DatastoreVersion.name == name)).one()


def _set(datastore, name, **values):
    with session_scope() as session:
        row = session.scalars(select(models.DatastoreVersion).join(models.Datastore).where(
            models.Datastore.name == datastore, models.DatastoreVersion.name == name)).one()
        for key, value in values.items():
            setattr(row, key, value)


def test_new_versions_get_their_managers_capabilities_and_maturity(discover):
    out = discover(REDIS, PG)
    redis, pg = _row('redis', '7.0'), _row('postgresql', '18')
    assert redis.capabilities == REDIS.capabilities != ''
    assert pg.capabilities == PG.capabilities
    assert {'databases', 'users', 'root', 'configuration'} <= set(pg.capabilities.split(','))
    assert redis.maturity == get_manager_class('redis').maturity == 'experimental'
    assert pg.maturity == 'stable'
    assert redis.active is True and redis.engine_path == '/usr/bin'
    # What it registered, with the image name registration accepts.
    assert 'postgresql 18 (18.1) at /opt/pg18/bin [%s] image=postgresql-18.1' % \
        PG.capabilities in out


def test_rerun_repairs_empty_capabilities_and_keeps_operator_choices(discover):
    discover(REDIS)
    # What the old command left (capabilities reset to empty), and an operator's choices.
    _set('redis', '7.0', capabilities='', active=False, visibility='private',
         maturity='technical-preview')
    discover(REDIS)
    row = _row('redis', '7.0')
    assert row.capabilities == REDIS.capabilities
    assert (row.active, row.visibility, row.maturity) == (False, 'private',
                                                          'technical-preview')


def test_a_new_build_of_a_version_updates_where_it_runs(discover):
    discover(REDIS)
    newer = local_engines.Engine('redis', '7.0', '7.0.16', 'redis', '/opt/redis/bin')
    discover(newer)
    row = _row('redis', '7.0')
    assert (row.version, row.engine_path) == ('7.0.16', '/opt/redis/bin')
