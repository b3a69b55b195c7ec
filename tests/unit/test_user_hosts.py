"""Users' hosts only where users have them (issue #14): MariaDB's users are name@host and
its versions declare `user_hosts`; PostgreSQL's are plain names, so a host sent for them
is a 400 in words (API and guest both), never silently dropped. The root check that every
instance page makes waits at most the ping timeout."""
import oslo_messaging as messaging
import pytest

from api_service.domain import catalogue_admin
from api_service.guestagent import errors
from api_service.guestagent.datastore import get_manager_class
from tests.unit.test_tenant_faults import FakeRPC, mem  # noqa: F401

PG_REFUSAL = ("PostgreSQL users have no host: they connect from wherever the instance's "
              "access allows; leave Host empty.")


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


@pytest.fixture
def guest(monkeypatch):
    """The guest calls that reached the (fake) agent: (operation, kwargs, timeout)."""
    calls = []
    plain_call = FakeRPC.call
    plain_prepare = FakeRPC.prepare

    def prepare(self, **kwargs):
        self.timeout = kwargs.get('timeout')
        return plain_prepare(self, **kwargs)

    def call(self, ctx, method, **kwargs):
        if method == 'guest_call':
            calls.append((kwargs['operation'], kwargs['kwargs'], getattr(self, 'timeout', None)))
            if kwargs['operation'] == 'is_root_enabled' and getattr(FakeRPC, 'hung', False):
                raise messaging.MessagingTimeout('no answer')
        return plain_call(self, ctx, method, **kwargs)
    monkeypatch.setattr(FakeRPC, 'prepare', prepare)
    monkeypatch.setattr(FakeRPC, 'call', call)
    monkeypatch.setattr(FakeRPC, 'hung', False, raising=False)
    return calls


def _active(client, datastore, version):
    resp = client.request('POST', '/instances', body={'instance': {
        'name': 'db1', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': datastore, 'version': version}}})
    assert resp.status_code == 200, resp.body
    instance_id = resp.json_body_or_none['instance']['id']
    assert client.get('/instances/%s' % instance_id).json_body_or_none[
        'instance']['status'] == 'ACTIVE'
    return instance_id


@pytest.fixture
def engines(mem):  # noqa: F811
    """A MariaDB and a PostgreSQL instance, each version with its manager's capabilities."""
    for datastore, name, full in (('mariadb', '10.11', '10.11.19'), ('postgresql', '16', '16.4')):
        catalogue_admin.upsert_datastore_version(datastore, name, full, datastore, '/usr/bin')
    return {'mariadb': _active(mem, 'mariadb', '10.11'),
            'postgresql': _active(mem, 'postgresql', '16')}


def test_only_mariadb_declares_user_hosts():
    assert 'user_hosts' in get_manager_class('mariadb').capabilities
    assert 'user_hosts' in catalogue_admin.manager_capabilities('mariadb').split(',')
    for manager in ('postgresql', 'redis'):
        assert 'user_hosts' not in catalogue_admin.manager_capabilities(manager).split(',')


@pytest.mark.parametrize('host', ['10.0.0.%', 'localhost'])
def test_postgresql_refuses_a_users_host_in_words(mem, engines, guest, host):  # noqa: F811
    path = '/instances/%s/users' % engines['postgresql']
    create = mem.request('POST', path, body={'users': [
        {'name': 'app', 'password': 'pw', 'host': host}]})
    update = mem.request('PUT', path + '/app', body={'user': {'host': host}})

    for resp in (create, update):
        assert resp.status_code == 400, resp.body
        assert message(resp) == PG_REFUSAL
    assert guest == []       # refused before the guest is asked


def test_postgresql_takes_users_without_a_host_or_with_any(mem, engines, guest):  # noqa: F811
    path = '/instances/%s/users' % engines['postgresql']
    resp = mem.request('POST', path, body={'users': [{'name': 'a', 'password': 'pw'},
                                                     {'name': 'b', 'password': 'pw',
                                                      'host': '%'}]})
    assert resp.status_code == 202, resp.body
    resp = mem.request('PUT', path + '/a', body={'user': {'password': 'new'}})
    assert resp.status_code == 202, resp.body
    assert [operation for operation, _, _ in guest] == ['create_users', 'update_attributes']


def test_postgresql_refuses_a_host_for_a_launchs_user(mem, engines):  # noqa: F811
    resp = mem.request('POST', '/instances', body={'instance': {
        'name': 'db2', 'flavorRef': '1', 'volume': {'size': 1},
        'datastore': {'type': 'postgresql', 'version': '16'},
        'users': [{'name': 'app', 'password': 'pw', 'host': '10.0.0.%'}]}})
    assert resp.status_code == 400, resp.body
    assert message(resp) == PG_REFUSAL


def test_mariadb_still_takes_a_users_host(mem, engines, guest):  # noqa: F811
    path = '/instances/%s/users' % engines['mariadb']
    resp = mem.request('POST', path, body={'users': [
        {'name': 'app', 'password': 'pw', 'host': '10.0.0.%'}]})
    assert resp.status_code == 202, resp.body
    resp = mem.request('PUT', path + '/app@10.0.0.%25', body={'user': {'host': 'localhost'}})
    assert resp.status_code == 202, resp.body
    assert [(op, kwargs.get('users', [{}])[0].get('host'), kwargs.get('new_host'))
            for op, kwargs, _ in guest] == [('create_users', '10.0.0.%', None),
                                            ('update_attributes', None, 'localhost')]


# -- the guest refuses too (an agent asked directly, or by an older API) -----------------------

class _Accounts:
    """The guest's account rules of an engine, without its engine: no user exists."""

    def __init__(self, manager):
        cls = get_manager_class(manager)
        self.engine = type('Engine', (cls,), {
            '__init__': lambda self: None,
            '_find_user': lambda self, name, host: (
                {'name': name, 'host': '%', 'databases': []} if name == 'old' else None),
            '_database_names': lambda self: set(),
            '_create_user': lambda self, spec: self.created.append(spec),
            '_rename_user': lambda self, *args: self.renamed.append(args)})()
        self.engine.created, self.engine.renamed = [], []


def test_the_postgresql_guest_refuses_a_host_and_mariadbs_keeps_it():
    pg = _Accounts('postgresql').engine
    with pytest.raises(errors.BadRequest) as refused:
        pg.create_users([{'name': 'app', 'password': 'pw', 'host': 'localhost'}])
    assert refused.value.to_dict()['message'] == PG_REFUSAL
    with pytest.raises(errors.BadRequest):
        pg.update_attributes('old', None, new_host='localhost')
    assert pg.created == [] and pg.renamed == []
    pg.create_users([{'name': 'app', 'password': 'pw'}])
    assert [(s['name'], s['host']) for s in pg.created] == [('app', '%')]

    maria = _Accounts('mariadb').engine
    maria.create_users([{'name': 'app', 'password': 'pw', 'host': 'localhost'}])
    assert [(s['name'], s['host']) for s in maria.created] == [('app', 'localhost')]


# -- GET /root within the ping timeout ----------------------------------------------------------

def test_root_state_is_asked_within_the_ping_timeout(mem, engines, guest, conf):  # noqa: F811
    conf.set_override('rpc_ping_timeout', 3, 'rpc')
    instance_id = engines['mariadb']
    guest.clear()

    resp = mem.get('/instances/%s/root' % instance_id)

    assert resp.status_code == 200, resp.body
    assert guest == [('is_root_enabled', {}, 3)]
    conf.clear_override('rpc_ping_timeout', 'rpc')


def test_a_hung_guest_answers_root_state_with_a_409_in_words(mem, engines, guest):  # noqa: F811
    FakeRPC.hung = True

    resp = mem.get('/instances/%s/root' % engines['mariadb'])

    assert resp.status_code == 409, resp.body
    assert message(resp) == 'The instance did not answer in time; try again.'
    assert resp.json_body_or_none == {'conflictingRequest': {
        'code': 409, 'message': 'The instance did not answer in time; try again.'}}


def test_the_migration_gives_registered_mariadb_versions_user_hosts(database_url):
    """Versions an operator registered before `user_hosts` existed would refuse every host:
    migration 0020 adds it to MariaDB versions with users, and to nothing else."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from api_service.db import migration

    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            cfg = migration._config(connection)
            if MigrationContext.configure(connection).get_current_revision() is None:
                command.upgrade(cfg, '0019')
            else:   # PostgreSQL's copies are made at head
                command.downgrade(cfg, '0019')
            connection.execute(sa.text(
                "INSERT INTO datastores (id, name) VALUES ('ds-m', 'mariadb'), "
                "('ds-p', 'postgresql')"))
            versions = sa.table('datastore_versions', *(sa.column(c) for c in (
                'id', 'datastore_id', 'name', 'version', 'manager', 'active', 'capabilities')))
            row = dict(active=True, version='1')
            connection.execute(versions.insert(), [
                dict(row, id='m-users', datastore_id='ds-m', name='10.11', manager='mariadb',
                     capabilities='access,databases,root,users'),
                dict(row, id='m-bare', datastore_id='ds-m', name='bare', manager='mariadb',
                     capabilities='root'),
                dict(row, id='p-users', datastore_id='ds-p', name='15', manager='postgresql',
                     capabilities='databases,root,users')])
            # 0020 alone: later revisions add capabilities of their own (0021 replication).
            command.upgrade(cfg, '0020')
            found = dict(connection.execute(sa.text(
                'SELECT id, capabilities FROM datastore_versions')).all())
    finally:
        engine.dispose()
    assert found == {'m-users': 'access,databases,root,user_hosts,users', 'm-bare': 'root',
                     'p-users': 'databases,root,users'}
