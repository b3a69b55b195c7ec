"""Networks: the default network, GET /networks, nics on create, addresses at placement,
and the operator's `dbaas-manage network` command."""
import pytest
from sqlalchemy import select

from api_service.cmd import manage
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.drivers.compute import local_networks
from api_service.drivers.compute.base import DriverError
from tests.unit.test_instances_api import api, create, message  # noqa: F401

DEFAULT = local_networks.DEFAULT_NETWORK_ID


def networks(client):
    resp = client.get('/networks')
    assert resp.status_code == 200, resp.body
    return resp.json_body_or_none['networks']


def test_the_default_network_exists_from_first_start_with_a_stable_id(client):
    listed = networks(client)
    assert len(listed) == 1
    assert listed[0]['id'] == DEFAULT
    assert listed[0]['name'] == 'default' and listed[0]['is_default'] is True
    assert listed[0]['cidr'] == '127.10.0.0/16'
    assert listed[0]['subnet_id']
    assert client.get('/networks', token=False).status_code == 401


def test_operator_networks_are_listed_after_the_default(client):
    made = local_networks.create_network('backend', '127.40.0.0/24')
    assert [n['id'] for n in networks(client)] == [DEFAULT, made.id]
    assert networks(client)[1] == {'id': made.id, 'name': 'backend', 'cidr': '127.40.0.0/24',
                                   'subnet_id': made.subnet_id, 'is_default': False}


@pytest.mark.parametrize('name, cidr, words', [
    ('backend', '10.0.0.0/24', 'not a loopback subnet'),
    ('backend', '127.10.5.0/24', "overlaps network 'default'"),
    ('default', '127.41.0.0/24', "named 'default' exists"),
    ('backend', '127.41.0.1/24', 'not an IPv4 subnet'),
    ('backend', '127.41.0.0/31', 'too small'),
])
def test_bad_networks_are_refused_in_the_operators_words(conf, name, cidr, words):
    with pytest.raises(ValueError, match=words):
        local_networks.create_network(name, cidr)


def test_create_with_nics_records_the_network_and_requested_address(api):  # noqa: F811
    made = local_networks.create_network('backend', '127.40.0.0/24')
    resp = create(api, nics=[{'net-id': made.id, 'ip_address': '127.40.0.7'}])
    assert resp.status_code == 200, resp.body
    instance_id = resp.json_body_or_none['instance']['id']
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        assert (row.network_id, row.requested_address) == (made.id, '127.40.0.7')
        row.host = 'h1'
        assert local_networks.allocate_address(session, row) == '127.40.0.7'
    shown = api.get('/instances/%s' % instance_id).json_body_or_none['instance']
    assert shown['ip'] == ['127.40.0.7']
    assert shown['addresses'] == [{'address': '127.40.0.7', 'type': 'private',
                                   'network': made.id}]
    listed = api.get('/instances').json_body_or_none['instances'][0]
    assert listed['addresses'] == shown['addresses']


def test_network_id_and_subnet_id_are_accepted_as_upstream_sends_them(api):  # noqa: F811
    default = networks(api)[0]
    for nic in ({'network_id': DEFAULT}, {'subnet_id': default['subnet_id']},
                {'network_id': DEFAULT, 'subnet_id': default['subnet_id'],
                 'ip_address': '127.10.3.3'}):
        resp = create(api, nics=[nic])
        assert resp.status_code == 200, (nic, resp.body)
        with session_scope() as session:
            row = session.get(m.Instance, resp.json_body_or_none['instance']['id'])
            assert row.network_id == DEFAULT


def test_without_nics_the_instance_lands_on_the_default_network(api):  # noqa: F811
    resp = create(api)
    with session_scope() as session:
        row = session.get(m.Instance, resp.json_body_or_none['instance']['id'])
        assert (row.network_id, row.requested_address) == (DEFAULT, None)


@pytest.mark.parametrize('nics, words', [
    ([{'net-id': '2b1e6a36-0a5c-4bd6-9a67-1a1e2a3b4c5d'}],
     ["Network '2b1e6a36-0a5c-4bd6-9a67-1a1e2a3b4c5d' does not exist", DEFAULT]),
    ([{'subnet_id': 'nope'}], ["Subnet 'nope' does not exist"]),
    ([{}], ['name the network']),
    ([{'net-id': DEFAULT}, {'net-id': DEFAULT}], ['one network', 'not 2']),
    ([{'net-id': DEFAULT, 'ip_address': '127.11.0.5'}], ['127.11.0.5', 'not inside',
                                                         '127.10.0.0/16']),
    ([{'net-id': DEFAULT, 'ip_address': '127.10.255.255'}], ['127.10.255.255', 'not inside']),
    ([{'net-id': DEFAULT, 'ip_address': 'localhost'}], ["'localhost' is not an IPv4"]),
    ([{'net-id': DEFAULT, 'mac': 'x'}], ['unknown field', 'mac']),
    ([{'net-id': DEFAULT, 'network_id': 'other'}], ['name different networks']),
])
def test_bad_nics_are_400_naming_the_problem(api, nics, words):  # noqa: F811
    resp = create(api, nics=nics)
    assert resp.status_code == 400, resp.body
    for word in words:
        assert word in message(resp)
    assert api.recorder.casts == []


def test_subnet_of_another_network_is_refused(api):  # noqa: F811
    made = local_networks.create_network('backend', '127.40.0.0/24')
    resp = create(api, nics=[{'net-id': DEFAULT, 'subnet_id': made.subnet_id}])
    assert resp.status_code == 400
    assert "Subnet '%s' is not in network default" % made.subnet_id in message(resp)


def test_a_taken_or_requested_address_is_400_naming_it(api):  # noqa: F811
    nics = [{'net-id': DEFAULT, 'ip_address': '127.10.0.9'}]
    assert create(api, nics=nics).status_code == 200
    resp = create(api, nics=nics)             # asked for, not placed yet
    assert resp.status_code == 400
    assert message(resp) == 'The address 127.10.0.9 on network default (%s) is already ' \
                            'taken.' % DEFAULT
    with session_scope() as session:
        for row in session.scalars(select(m.Instance)):
            row.requested_address, row.address = None, '127.10.0.9'   # now placed
    assert create(api, nics=nics).status_code == 400


def _instance(session, **columns):
    row = m.Instance(name='x', project_id='p', datastore_version_id=_version_id(session),
                     flavor_id='2', ram_mb=512, vcpus=1, volume_size=1, **columns)
    session.add(row)
    session.flush()
    return row


def _version_id(session):
    from api_service.db import models
    return session.scalars(select(models.DatastoreVersion.id)).first()


def test_allocation_skips_addresses_taken_or_asked_for(catalogue):
    with session_scope() as session:
        _instance(session, address='127.10.0.1')
        _instance(session, requested_address='127.10.0.2')
        row = _instance(session)
        assert local_networks.allocate_address(session, row) == '127.10.0.3'
        assert row.network_id == DEFAULT


def test_a_requested_address_taken_before_placement_fails_the_build(catalogue):
    with session_scope() as session:
        _instance(session, address='127.10.0.5')
        row = _instance(session, requested_address='127.10.0.5')
        with pytest.raises(DriverError, match='127.10.0.5 on network default was taken'):
            local_networks.allocate_address(session, row)


def test_the_unique_address_settles_a_race_the_read_missed(catalogue, monkeypatch):
    """Another placement committed the address after our read: a DriverError, not a 500."""
    monkeypatch.setattr(local_networks, '_taken', lambda *args: False)
    with session_scope() as session:
        _instance(session, address='127.10.0.5')
        row = _instance(session, requested_address='127.10.0.5')
        with pytest.raises(DriverError, match='taken by another instance'):
            local_networks.allocate_address(session, row)


def test_a_lost_race_for_a_free_address_takes_the_next_and_keeps_the_host(catalogue,
                                                                            monkeypatch):
    monkeypatch.setattr(local_networks, '_free_addresses',
                        lambda *args: iter(['127.10.0.1', '127.10.0.2']))
    with session_scope() as session:
        _instance(session, address='127.10.0.1')
        row = _instance(session)
        row.host = 'h1'
        assert local_networks.allocate_address(session, row) == '127.10.0.2'
    with session_scope() as session:
        row = session.get(m.Instance, row.id)
        assert (row.host, row.address) == ('h1', '127.10.0.2')


def test_dbaas_manage_creates_and_lists_networks(conf, tmp_path, capsys):
    config_file = tmp_path / 'dbaas.conf'
    config_file.write_text('[database]\nconnection = %s\n' % conf.database.connection)
    argv = ['--config-file', str(config_file), 'network']
    assert manage.main(argv + ['create', 'backend', '127.40.0.0/24', '--default']) == 0
    made = capsys.readouterr().out.split('\t')
    assert made[1:3] == ['backend', '127.40.0.0/24'] and 'default' in made[-1]
    assert manage.main(argv + ['create', 'again', '127.40.0.0/25']) == 1
    assert "overlaps network 'backend'" in capsys.readouterr().err
    assert manage.main(argv + ['list']) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split('\t')[1] for line in lines] == ['backend', 'default']
    assert lines[0].endswith('\tdefault') and not lines[1].endswith('\tdefault')
