"""Networks end to end: nics as Trove's clients send them, checked on the engine's address."""
import ipaddress
import os
import subprocess

import pymysql
import pytest
import redis as redis_py
from troveclient import exceptions

from tests.conftest import BIN, TEST_PORT_OFFSET
from tests.functional.instance_helpers import trove, wait_gone, wait_status


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


def networks(client):
    return client.instances.api.client.get('/networks')[1]['networks']


def default_network(client):
    found = [n for n in networks(client) if n['is_default']]
    assert len(found) == 1
    return found[0]


def create(client, name, datastore, version, **kwargs):
    return client.instances.create(name, flavor_id='1', volume={'size': 1},
                                   datastore=datastore, datastore_version=version, **kwargs)


def test_nics_with_a_fixed_ip_address_serve_the_engine_there(stack, demo):
    network = default_network(demo)
    subnet = ipaddress.ip_network(network['cidr'])
    fixed = str(subnet.network_address + 200 * 256 + 77)      # far from the lowest free
    instance = create(demo, 'fixed-ip', 'mariadb', '10.11', databases=[{'name': 'shop'}],
                      users=[{'name': 'app', 'password': 'app-pw-1',
                              'databases': [{'name': 'shop'}]}],
                      nics=[{'net-id': network['id'], 'ip_address': fixed}])
    try:
        # The address is asked for, so a second create naming it is refused at once.
        with pytest.raises(exceptions.BadRequest, match='%s on network %s' % (
                fixed.replace('.', r'\.'), network['name'])):
            create(demo, 'same-ip', 'redis', '7.0',
                   nics=[{'net-id': network['id'], 'ip_address': fixed}])
        instance = wait_status(demo, instance.id, 'ACTIVE')
        assert instance.ip == [fixed]
        assert instance.addresses == [{'address': fixed, 'type': 'private',
                                       'network': network['id']}]
        with pymysql.connect(host=fixed, port=3306, user='app', password='app-pw-1',
                             database='shop', connect_timeout=5) as conn:
            with conn.cursor() as cur:
                cur.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))')
                cur.execute("INSERT INTO t VALUES (1, 'on the fixed address')")
                conn.commit()
                cur.execute('SELECT v FROM t')
                assert cur.fetchall() == (('on the fixed address',),)
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)


def test_nics_naming_an_unknown_network_is_a_400_naming_it(stack, demo):
    unknown = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'
    with pytest.raises(exceptions.BadRequest, match="Network '%s' does not exist" % unknown):
        create(demo, 'nowhere', 'redis', '7.0', nics=[{'net-id': unknown}])
    assert 'nowhere' not in {i.name for i in demo.instances.list()}


def test_nics_on_an_operators_network_take_an_address_of_its_subnet(stack, demo):
    # Each test stack's offset gets its own /24, away from every stack's default pool.
    cidr = '127.250.%d.0/24' % (int(TEST_PORT_OFFSET) // 100 % 256)
    made = subprocess.run([os.path.join(BIN, 'dbaas-manage'), '--config-file',
                           os.path.join(stack.root, 'etc', 'dbaas.conf'), 'network', 'create',
                           'backend', cidr], check=True, capture_output=True, text=True)
    network_id = made.stdout.split('\t')[0]
    assert {'id': network_id, 'name': 'backend', 'cidr': cidr, 'is_default': False}.items() \
        <= next(n for n in networks(demo) if n['id'] == network_id).items()
    # OSC's --nic sends network_id, as here.
    instance = create(demo, 'on-backend', 'redis', '7.0', nics=[{'network_id': network_id}])
    try:
        instance = wait_status(demo, instance.id, 'ACTIVE')
        address = instance.ip[0]
        assert ipaddress.ip_address(address) in ipaddress.ip_network(cidr)
        assert instance.addresses[0]['network'] == network_id
        _name, password = demo.root.create(instance.id)
        engine = redis_py.Redis(host=address, port=6379, password=password, socket_timeout=5)
        engine.set('k', 'on the backend network')
        assert engine.get('k') == b'on the backend network'
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)
