"""Configuration groups through the API on real engines: a group attached at launch is in
effect from the first start, a dynamic value changes live, a restart-required one waits in
RESTART_REQUIRED until the restart, detach takes the values away, bad values and values that
cannot fit the flavor are refused naming the parameter, and a value the engine cannot start
with is rolled back with the instance ACTIVE and its data intact. Every value is read back
from the engine itself, as a tenant's client sees it."""
import json

import pg8000.dbapi
import pymysql
import pytest
import redis as redis_py
from troveclient import exceptions

from tests.functional.instance_helpers import trove, wait_gone, wait_status

SERVICE_HOST = '127.0.0.1'      # private instances admit the service's own hosts
LOGIN = ('app', 'app-pw-1', 'shop')


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


def launch(client, name, datastore, version, **kwargs):
    if datastore != 'redis':    # Redis has neither
        kwargs.update(databases=[{'name': 'shop'}], users=[
            {'name': 'app', 'password': 'app-pw-1', 'databases': [{'name': 'shop'}]}])
    instance = client.instances.create(name, flavor_id='1', volume={'size': 1},
                                       datastore=datastore, datastore_version=version,
                                       **kwargs)
    return wait_status(client, instance.id, 'ACTIVE')


class Engine:
    """A tenant's view of an instance's engine: a value read back, a row written and read."""

    def __init__(self, manager, address):
        self.manager, self.address = manager, address

    def _sql(self):
        if self.manager == 'mariadb':
            return pymysql.connect(host=self.address, port=3306, user=LOGIN[0],
                                   password=LOGIN[1], database=LOGIN[2], connect_timeout=5,
                                   autocommit=True, bind_address=SERVICE_HOST)
        conn = pg8000.dbapi.connect(user=LOGIN[0], host=self.address, port=5432,
                                    password=LOGIN[1], database=LOGIN[2],
                                    source_address=(SERVICE_HOST, 0), timeout=5)
        conn.autocommit = True
        return conn

    def _query(self, statement):
        conn = self._sql()
        try:
            cursor = conn.cursor()
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
        finally:
            conn.close()

    def value(self, name):
        if self.manager == 'mariadb':
            return str(self._query('SELECT @@GLOBAL.%s' % name)[0][0])
        if self.manager == 'postgresql':
            return self._query('SHOW %s' % name)[0][0]
        client = redis_py.Redis(host=self.address, port=6379, socket_timeout=5)
        try:
            if name == 'databases':     # CONFIG is the agent's: what SELECT admits tells
                return '32' if _selects(client, 31) else '16'
            return str(client.info('memory')[name.replace('-', '_')])
        finally:
            client.close()

    def write_row(self):
        if self.manager == 'redis':
            client = redis_py.Redis(host=self.address, port=6379, socket_timeout=5)
            client.set('fruit', 'apple')
            client.close()
            return
        self._query('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40))')
        self._query("INSERT INTO items (id, label) VALUES (1, 'apple')")

    def read_row(self):
        if self.manager == 'redis':
            client = redis_py.Redis(host=self.address, port=6379, socket_timeout=5)
            try:
                return client.get('fruit').decode()
            finally:
                client.close()
        return self._query('SELECT label FROM items WHERE id = 1')[0][0]


def _selects(client, number):
    try:
        client.execute_command('SELECT', number)
        return True
    except redis_py.exceptions.ResponseError:
        return False


# datastore, version; a dynamic value (name, value, what the engine shows); a restart-required
# one; the engine's default of the dynamic one (after detach).
CASES = [
    ('mariadb', '10.11', ('wait_timeout', 1234, '1234'),
     ('innodb_log_buffer_size', 33554432, '33554432'), '28800'),
    ('postgresql', '15', ('log_min_duration_statement', 250, '250ms'),
     ('max_worker_processes', 6, '6'), '-1'),
    ('redis', '7.0', ('maxmemory-policy', 'allkeys-lru', 'allkeys-lru'),
     ('databases', 32, '32'), 'noeviction'),
]


@pytest.mark.parametrize('datastore, version, dynamic, static, default', CASES,
                         ids=[case[0] for case in CASES])
def test_a_group_applies_live_waits_for_restart_and_detaches(stack, demo, datastore, version,
                                                             dynamic, static, default):
    name, value, shown = dynamic
    group = demo.configurations.create('cfg-' + datastore, json.dumps({name: value}),
                                       datastore=datastore, datastore_version=version)
    instance = launch(demo, 'cfg-' + datastore, datastore, version, configuration=group.id)
    engine = Engine(datastore, instance.ip[0])
    assert engine.value(name) == shown          # in effect from the first start
    assert demo.instances.get(instance.id).configuration['id'] == group.id
    effective = demo.instances.configuration(instance.id).configuration
    assert str(effective[name]).lower() in (shown.lower(), str(value).lower())

    # A restart-required value: the instance says so, the engine keeps the old value until
    # the restart.
    static_name, static_value, static_shown = static
    before = engine.value(static_name)
    demo.configurations.edit(group.id, json.dumps({static_name: static_value}))
    assert wait_status(demo, instance.id, 'RESTART_REQUIRED', timeout=5)
    assert engine.value(static_name) == before != static_shown
    assert engine.value(name) == shown          # PATCH merges: the dynamic value stays
    demo.instances.restart(instance.id)
    wait_status(demo, instance.id, 'ACTIVE')
    assert engine.value(static_name) == static_shown

    # The group stays while attached; detach takes the dynamic value away live.
    with pytest.raises(exceptions.Conflict):
        demo.configurations.delete(group.id)
    demo.instances.update(instance.id, remove_configuration=True)
    assert engine.value(name) == default
    assert not getattr(demo.instances.get(instance.id), 'configuration', None)
    demo.configurations.delete(group.id)

    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)


def test_bad_values_and_values_beyond_the_flavor_are_refused(stack, demo):
    refusals = [({'no_such_parameter': 1}, 'no_such_parameter'),
                ({'max_connections': 'many'}, 'max_connections'),
                ({'max_connections': 1}, 'max_connections'),     # below its minimum
                ({'port': 3307}, 'port')]                       # the guest's own
    for values, named in refusals:
        with pytest.raises(exceptions.BadRequest) as refused:
            demo.configurations.create('bad', json.dumps(values), datastore='mariadb',
                                       datastore_version='10.11')
        assert named in str(refused.value), (values, str(refused.value))

    # db.tiny has 256 MB: a 1 GiB buffer pool cannot fit it.
    big = demo.configurations.create('big', json.dumps({'innodb_buffer_pool_size': 2 ** 30}),
                                     datastore='mariadb', datastore_version='10.11')
    with pytest.raises(exceptions.BadRequest) as refused:
        demo.instances.create('cfg-big', flavor_id='1', volume={'size': 1},
                              datastore='mariadb', datastore_version='10.11',
                              configuration=big.id)
    assert 'innodb_buffer_pool_size' in str(refused.value) and '256' in str(refused.value)
    demo.configurations.delete(big.id)


def test_a_value_the_engine_cannot_start_with_is_rolled_back(stack, demo):
    # A choice the API cannot know is unstartable: PostgreSQL sizes its lock table from
    # max_locks_per_transaction at start, and this one does not fit in memory (the value
    # is within the engine's own range, and `postgres -C` reads it without complaint).
    group = demo.configurations.create('cfg-unstartable',
                                       json.dumps({'log_min_duration_statement': 250}),
                                       datastore='postgresql', datastore_version='15')
    instance = launch(demo, 'cfg-unstartable', 'postgresql', '15', configuration=group.id)
    engine = Engine('postgresql', instance.ip[0])
    engine.write_row()
    demo.configurations.edit(group.id, json.dumps({'max_locks_per_transaction': 2147483647}))
    wait_status(demo, instance.id, 'RESTART_REQUIRED', timeout=5)
    demo.instances.restart(instance.id)
    shown = wait_status(demo, instance.id, 'ACTIVE')
    assert engine.read_row() == 'apple'
    assert engine.value('log_min_duration_statement') == '250ms'   # the previous values
    assert engine.value('max_locks_per_transaction') == '64'
    fault = shown.fault['message'] if getattr(shown, 'fault', None) else ''
    assert 'max_locks_per_transaction' in fault, shown._info
    demo.instances.update(instance.id, remove_configuration=True)
    demo.configurations.delete(group.id)
    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)
