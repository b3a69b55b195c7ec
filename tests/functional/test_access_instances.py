"""Instance access through the API on real engines: the engine refuses the sources that
`access` leaves out, `PUT access` changes that live, a restore keeps it, Redis tells the
truth. Clients bind their source address (any 127.x is this machine's): private admits the
service's own hosts ([access] service_cidrs, 127.0.0.1 here) and no other 127.x source,
not even one on the instance's own network (shared by every project)."""
import configparser
import ipaddress
import os

import pytest
import redis as redis_py
from troveclient import exceptions

from tests.functional.instance_helpers import trove, wait_gone, wait_status
from tests.functional.test_access_engines import connect_from, engine_refuses, rows_from
from tests.functional.test_backups import wait_backup


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


class Engine:
    """What engine_refuses/rows_from need of an instance: its manager name and address."""

    def __init__(self, manager, address, port):
        self.manager, self.address, self.port = manager, address, port


SERVICE_HOST = '127.0.0.1'     # [access] service_cidrs' default


@pytest.fixture(scope='module')
def sources(stack):
    """Two client addresses inside the default network (the stack's address pool), where
    no instance is given an address before the pool's 250th /24: other tenants' instances
    would connect from such addresses."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(os.path.join(stack.root, 'etc', 'dbaas.conf'))
    network = ipaddress.ip_network(config['local_driver']['address_pool'])
    return str(network[250 * 256 + 1]), str(network[250 * 256 + 2])


def write_apple(engine, source, login):
    conn = connect_from(engine, source, *login)
    cursor = conn.cursor()
    cursor.execute('CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40))')
    cursor.execute("INSERT INTO items (id, label) VALUES (1, 'apple')")
    conn.close()


def launch(client, name, datastore, version, **kwargs):
    instance = client.instances.create(name, flavor_id='1', volume={'size': 1},
                                       datastore=datastore, datastore_version=version,
                                       **kwargs)
    return wait_status(client, instance.id, 'ACTIVE')


def shown_access(client, instance_id):
    return client.instances.get(instance_id).access


@pytest.mark.parametrize('datastore, version, manager, port', [
    ('mariadb', '10.11', 'mariadb', 3306), ('postgresql', '15', 'postgresql', 5432)])
def test_allowed_cidrs_are_enforced_and_put_changes_them_live(stack, demo, sources, datastore,
                                                              version, manager, port):
    first, second = sources
    # Narrowing to sources of one's own: allowed_cidrs on a public instance.
    instance = launch(demo, 'acc-' + manager, datastore, version,
                      databases=[{'name': 'shop'}],
                      users=[{'name': 'app', 'password': 'app-pw-1',
                              'databases': [{'name': 'shop'}]}],
                      access={'is_public': True, 'allowed_cidrs': [first + '/32']})
    engine = Engine(manager, instance.ip[0], port)
    login = ('app', 'app-pw-1', 'shop')
    assert shown_access(demo, instance.id) == {'is_public': True,
                                               'allowed_cidrs': [first + '/32']}
    write_apple(engine, first, login)
    for refused in (second, SERVICE_HOST):
        assert engine_refuses(engine, refused, *login)

    # PUT access (troveclient's update): applied by the engine before the 202.
    demo.instances.update(instance.id, is_public=True, allowed_cidrs=[second + '/32'])
    assert engine_refuses(engine, first, *login)
    assert rows_from(engine, second, *login) == [(1, 'apple')]
    assert shown_access(demo, instance.id) == {'is_public': True,
                                               'allowed_cidrs': [second + '/32']}

    # A change that leaves no source is refused, and nothing changes: private admits only
    # the service's hosts, and an address on the instance's own network is none of them.
    for cidrs in (['192.0.2.0/24'], [first + '/32']):
        with pytest.raises(exceptions.BadRequest) as raised:
            demo.instances.update(instance.id, is_public=False, allowed_cidrs=cidrs)
        assert 'is_public: true' in str(raised.value)
    assert rows_from(engine, second, *login) == [(1, 'apple')]
    assert shown_access(demo, instance.id)['allowed_cidrs'] == [second + '/32']

    # Private: the service's own host gets in, other sources (the network's) are refused
    # by the engine.
    demo.instances.update(instance.id, is_public=False)
    assert shown_access(demo, instance.id) == {'is_public': False, 'allowed_cidrs': []}
    assert rows_from(engine, SERVICE_HOST, *login) == [(1, 'apple')]
    for source in (first, second):
        assert engine_refuses(engine, source, *login)

    # Public: any source.
    demo.instances.update(instance.id, is_public=True)
    for source in (first, second, SERVICE_HOST):
        assert rows_from(engine, source, *login) == [(1, 'apple')]

    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)


def test_a_restored_instance_enforces_its_access_from_the_start(stack, demo, sources):
    first, second = sources
    source = launch(demo, 'acc-src', 'mariadb', '10.11', databases=[{'name': 'shop'}],
                    users=[{'name': 'app', 'password': 'app-pw-1',
                            'databases': [{'name': 'shop'}]}])
    # Private (the default): the service's own host writes.
    write_apple(Engine('mariadb', source.ip[0], 3306), SERVICE_HOST, ('app', 'app-pw-1', 'shop'))
    backup = wait_backup(demo, demo.backups.create('acc-full', source.id).id)

    restored = launch(demo, 'acc-restored', 'mariadb', '10.11',
                      restorePoint={'backupRef': backup.id},
                      access={'is_public': True, 'allowed_cidrs': [second + '/32']})
    engine = Engine('mariadb', restored.ip[0], 3306)
    assert rows_from(engine, second, 'app', 'app-pw-1', 'shop') == [(1, 'apple')]
    assert engine_refuses(engine, first, 'app', 'app-pw-1', 'shop')

    for instance in (restored, source):
        demo.instances.delete(instance.id)
    demo.backups.delete(backup.id)
    for instance in (restored, source):
        wait_gone(demo, instance.id)


def test_redis_shows_the_truth_and_refuses_restrictions(stack, demo):
    with pytest.raises(exceptions.BadRequest) as raised:
        demo.instances.create('acc-redis-no', flavor_id='1', volume={'size': 1},
                              datastore='redis', datastore_version='7.0',
                              access={'is_public': False, 'allowed_cidrs': ['127.0.0.1/32']})
    assert 'cannot restrict where connections come from' in str(raised.value)
    # What `openstack database instance create` always sends.
    instance = launch(demo, 'acc-redis', 'redis', '7.0', access={'is_public': False})
    assert shown_access(demo, instance.id) == {'is_public': True, 'allowed_cidrs': []}
    client = redis_py.Redis(host=instance.ip[0], port=6379, socket_timeout=5)
    assert client.ping()
    client.close()
    with pytest.raises(exceptions.BadRequest):
        demo.instances.update(instance.id, is_public=False)
    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)
