"""Instance access: the sources arithmetic (domain/access.py), the API's checks and the
PUT that the guest applies before anything is recorded. The engines' enforcement is
tested on real engines in tests/functional/test_access_engines.py."""
import inspect
import json
import threading

import pytest

from api_service.api.controllers import instances as controller
from api_service.common import exceptions
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from api_service.domain import access
from api_service.domain import instances as instances_domain
from api_service.guestagent.datastore import base as guest_base
from api_service.guestagent.datastore import mariadb
from api_service.rpc import guest_client
from api_service.rpc import secure

POOL = '127.10.0.0/16'   # [local_driver] address_pool's default: the default network
SERVICE = '127.0.0.1/32'  # [access] service_cidrs' default


# -- arithmetic -------------------------------------------------------------------------

def test_cidrs_are_normalised_and_bad_ones_named():
    assert access.parse_cidrs(['10.0.0.5/24', '10.0.0.0/24', '2001:db8::1/64']) == \
        ['10.0.0.0/24', '2001:db8::/64']
    with pytest.raises(exceptions.BadRequest) as raised:
        access.parse_cidrs(['10.0.0.0/24', 'ten/8'])
    assert "'ten/8' is not a CIDR" in str(raised.value)


@pytest.mark.parametrize('first, second, expected', [
    (['127.10.3.0/24'], ['127.10.0.0/16'], ['127.10.3.0/24']),            # inside: kept
    (['127.0.0.0/8'], ['127.0.0.1/32', POOL], ['127.0.0.1/32', POOL]),     # wider: narrowed
    (['10.0.0.0/8'], ['127.0.0.1/32', POOL], []),                         # disjoint
    (['2001:db8::/32'], ['0.0.0.0/0'], []),                               # other family
    (['10.0.0.0/8', '10.1.0.0/16'], list(access.ANY_SOURCE), ['10.0.0.0/8']),
])
def test_intersection_keeps_the_narrower_of_nesting_pairs(first, second, expected):
    assert access.intersect(first, second) == expected


def test_sources_private_public_and_narrowed(conf):
    # Private is the service's own hosts only: not the network, which every project shares.
    assert access.sources(False, []) == [SERVICE]
    assert access.sources(True, []) == list(access.ANY_SOURCE)
    assert access.sources(True, ['10.0.0.0/8']) == ['10.0.0.0/8']
    assert access.sources(True, ['127.10.0.7/32']) == ['127.10.0.7/32']
    assert access.sources(False, ['127.0.0.0/8', '10.0.0.0/8']) == [SERVICE]
    conf.set_override('service_cidrs', ['127.0.0.0/24'], 'access')
    try:
        assert access.sources(False, []) == ['127.0.0.0/24']
        assert access.sources(False, ['127.0.0.9/32']) == ['127.0.0.9/32']
    finally:
        conf.clear_override('service_cidrs', 'access')
    for outside in (['10.0.0.0/8'], ['127.10.0.7/32'], [POOL]):   # another tenant's network
        with pytest.raises(exceptions.BadRequest) as raised:
            access.sources(False, outside)
        message = str(raised.value)
        assert outside[0] in message and "service's own hosts: %s)" % SERVICE in message
        assert 'is_public: true' in message


def test_private_does_not_depend_on_the_network_or_the_local_driver(conf, monkeypatch):
    """access.py knows nothing of networks or of the local driver's address pool."""
    conf.set_override('address_pool', '127.99.0.0/16', 'local_driver')
    try:
        assert access.sources(False, []) == [SERVICE]
    finally:
        conf.clear_override('address_pool', 'local_driver')
    text = inspect.getsource(access)
    for word in ('local_driver', 'address_pool', 'get_driver', 'network_id', 'get_network',
                 'list_networks'):
        assert word not in text, word


def test_a_recorded_access_that_admits_nothing_here_admits_no_source(conf):
    """Recorded before private meant the service's hosts only (or before service_cidrs
    changed): the engine is told to admit nobody rather than more than was asked."""
    class Row:
        is_public, allowed_cidrs = False, json.dumps(['127.10.0.7/32'])
    assert access.sources_of(Row) == []
    Row.is_public = True
    assert access.sources_of(Row) == ['127.10.0.7/32']


def test_mariadb_rule_compares_addresses_of_the_same_family():
    assert mariadb.access_rule(None) == ''
    assert mariadb.access_rule(list(access.ANY_SOURCE)) == ''
    rule = mariadb.access_rule(['127.10.0.0/16', '2001:db8::/127'])
    assert '(LENGTH(a) = 4 AND a BETWEEN 0x7F0A0000 AND 0x7F0AFFFF)' in rule
    assert ('(LENGTH(a) = 16 AND a BETWEEN 0x20010DB8000000000000000000000000 AND '
            '0x20010DB8000000000000000000000001)') in rule
    assert "SIGNAL SQLSTATE '45000'" in rule
    # The socket ('localhost') gets no pass: only SUPER (the agent's os_admin) skips the rule.
    assert 'localhost' not in rule
    # Only IPv4 open: IPv6 clients are still checked.
    assert mariadb.access_rule(['0.0.0.0/0']) != ''
    # No source: every client is refused.
    assert 'COALESCE(FALSE, FALSE)' in mariadb.access_rule([])


# -- through the API ------------------------------------------------------------------

class Recorder:
    def __init__(self):
        self.casts = []

    def __getattr__(self, method):
        return lambda ctx, *args, **kwargs: self.casts.append((method, args, kwargs))


class FakeGuest:
    """Records apply_access calls; `fail` makes the guest refuse, as a broken engine would;
    `hold` (an Event) keeps the call waiting until it is set, `entered` is set meanwhile."""
    applied = []
    timeouts = []
    fail = None
    hold = None
    entered = None

    def __init__(self, instance_id, key, timeout=30):
        self.instance_id = instance_id

    def apply_access(self, ctx, sources, timeout=guest_client.APPLY_ACCESS_TIMEOUT):
        FakeGuest.timeouts.append(timeout)
        if FakeGuest.hold is not None:
            FakeGuest.entered.set()
            assert FakeGuest.hold.wait(30)
        if FakeGuest.fail:
            raise FakeGuest.fail
        FakeGuest.applied.append((self.instance_id, sources))
        return {'sources': sources}


@pytest.fixture
def api(client, catalogue, conf, monkeypatch):
    conf.set_override('master_key', secure.new_key(), 'instance')
    catalogue.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
                                       capabilities='access,databases,root,users')
    catalogue.upsert_datastore_version('redis', '7.0', '7.0.15', 'redis', '/usr/bin',
                                       capabilities='root')
    monkeypatch.setattr(controller.Instances, 'taskmanager', Recorder())
    monkeypatch.setattr(guest_client, 'GuestAPI', FakeGuest)
    FakeGuest.applied, FakeGuest.timeouts, FakeGuest.fail = [], [], None
    FakeGuest.hold = FakeGuest.entered = None
    yield client
    conf.clear_override('master_key', 'instance')


def create(api, datastore='mariadb', version='10.11', **overrides):
    instance = {'name': 'db1', 'flavorRef': '2', 'volume': {'size': 1},
                'datastore': {'type': datastore, 'version': version}}
    instance.update(overrides)
    return api.request('POST', '/instances', body={'instance': instance})


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def shown_access(api, instance_id):
    return api.get('/instances/%s' % instance_id).json_body_or_none['instance']['access']


def put_access(api, instance_id, body):
    return api.request('PUT', '/instances/%s' % instance_id,
                       body={'instance': {'access': body}})


def set_status(instance_id, value):
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = value


def test_create_records_what_was_asked_and_refuses_an_empty_intersection(api):
    resp = create(api, access={'is_public': True, 'allowed_cidrs': ['127.10.9.9/32']})
    assert resp.status_code == 200, resp.body
    assert resp.json_body_or_none['instance']['access'] == {
        'is_public': True, 'allowed_cidrs': ['127.10.9.9/32']}
    # An address on the instance's own network is no service host: private refuses it.
    for cidrs in (['192.0.2.0/24'], ['127.10.9.9/32']):
        resp = create(api, access={'allowed_cidrs': cidrs})
        assert resp.status_code == 400
        assert cidrs[0] in message(resp) and 'is_public: true' in message(resp)
    resp = create(api, access={'is_public': True, 'allowed_cidrs': ['192.0.2.0/24']})
    assert resp.status_code == 200


def test_prepare_gets_the_sources_of_the_recorded_access(api):
    from api_service.domain import instances
    instance_id = create(api, access={'allowed_cidrs': ['127.0.0.0/8']}).json_body_or_none[
        'instance']['id']
    # 127.0.0.0/8 within private (the service's hosts) is those.
    assert instances.access_sources(instance_id) == [SERVICE]


def test_redis_cannot_restrict_and_is_shown_as_it_is(api):
    # `openstack database instance create` always sends is_public false: let it through,
    # and record what the engine does: it admits every source.
    resp = create(api, datastore='redis', version='7.0', access={'is_public': False})
    assert resp.status_code == 200, resp.body
    instance_id = resp.json_body_or_none['instance']['id']
    assert shown_access(api, instance_id) == {'is_public': True, 'allowed_cidrs': []}
    resp = create(api, datastore='redis', version='7.0',
                  access={'allowed_cidrs': ['127.0.0.1/32']})
    assert resp.status_code == 400
    assert 'redis' in message(resp) and 'allowed_cidrs cannot be enforced' in message(resp)
    set_status(instance_id, 'ACTIVE')
    resp = put_access(api, instance_id, {'is_public': False})
    assert resp.status_code == 400 and 'is_public: false cannot be enforced' in message(resp)
    assert put_access(api, instance_id, {'is_public': True}).status_code == 202
    assert FakeGuest.applied == []      # nothing to apply on Redis
    assert shown_access(api, instance_id) == {'is_public': True, 'allowed_cidrs': []}


def test_put_access_is_applied_by_the_guest_then_recorded(api):
    narrow = {'is_public': True, 'allowed_cidrs': ['127.10.0.5/32']}
    instance_id = create(api).json_body_or_none['instance']['id']
    resp = put_access(api, instance_id, narrow)
    assert resp.status_code == 409 and 'BUILD' in message(resp)   # no engine to apply it yet
    set_status(instance_id, 'ACTIVE')
    resp = put_access(api, instance_id, narrow)
    assert resp.status_code == 202, resp.body
    assert FakeGuest.applied == [(instance_id, ['127.10.0.5/32'])]
    assert shown_access(api, instance_id) == narrow
    resp = put_access(api, instance_id, {'allowed_cidrs': ['10.0.0.0/8']})
    assert resp.status_code == 400 and len(FakeGuest.applied) == 1
    resp = put_access(api, instance_id, {'is_public': False})
    assert resp.status_code == 202
    assert FakeGuest.applied[-1] == (instance_id, [SERVICE])
    resp = put_access(api, instance_id, {'is_public': True})
    assert resp.status_code == 202
    assert FakeGuest.applied[-1] == (instance_id, list(access.ANY_SOURCE))
    # The guest's call has its own, longer timeout than the agent's own waits.
    assert set(FakeGuest.timeouts) == {guest_client.APPLY_ACCESS_TIMEOUT}
    assert guest_client.APPLY_ACCESS_TIMEOUT >= 3 * guest_base.ACCESS_APPLY_WAIT
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).access_change_until is None


def test_access_changes_of_one_instance_are_applied_one_at_a_time(api):
    """A second PUT while the guest applies the first is a 409: the engine and the database
    cannot end up with different sources. Once the first is recorded, the next goes in."""
    instance_id = create(api).json_body_or_none['instance']['id']
    set_status(instance_id, 'ACTIVE')
    first = {'is_public': True, 'allowed_cidrs': ['127.10.0.5/32']}
    FakeGuest.hold, FakeGuest.entered = threading.Event(), threading.Event()
    answers = []
    thread = threading.Thread(target=lambda: answers.append(put_access(api, instance_id, first)))
    thread.start()
    try:
        assert FakeGuest.entered.wait(30)
        resp = put_access(api, instance_id, {'is_public': True, 'allowed_cidrs': ['10.0.0.0/8']})
        assert resp.status_code == 409, resp.body
        assert 'applying another access change' in message(resp)
    finally:
        FakeGuest.hold.set()
        thread.join(30)
    assert answers[0].status_code == 202, answers[0].body
    assert FakeGuest.applied == [(instance_id, ['127.10.0.5/32'])]
    assert shown_access(api, instance_id) == first
    FakeGuest.hold = None
    assert put_access(api, instance_id, {'is_public': False}).status_code == 202
    assert FakeGuest.applied[-1] == (instance_id, [SERVICE])


def test_a_lapsed_claim_is_taken_over_and_its_holder_records_nothing(api):
    """A claim whose holder died (the API process stopped mid-change) lapses."""
    import datetime
    instance_id = create(api).json_body_or_none['instance']['id']
    set_status(instance_id, 'ACTIVE')
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        stale = instances_domain._claim_access_change(row)
        row.access_change_until = stale = stale - datetime.timedelta(
            seconds=instances_domain.ACCESS_CLAIM_SECONDS + 1)
    assert put_access(api, instance_id, {'is_public': True}).status_code == 202
    assert not instances_domain._end_access_change(instance_id, stale, (False, ['x']))
    assert shown_access(api, instance_id) == {'is_public': True, 'allowed_cidrs': []}


def test_a_failed_apply_leaves_the_recorded_access(api):
    instance_id = create(api, access={'is_public': True, 'allowed_cidrs': ['127.10.0.5/32']}
                         ).json_body_or_none['instance']['id']
    set_status(instance_id, 'ACTIVE')
    FakeGuest.fail = exceptions.ServiceUnavailable(
        'MariaDB could not apply the new access rules; it keeps the previous ones.')
    resp = put_access(api, instance_id, {'is_public': False})
    assert resp.status_code == 503 and 'keeps the previous ones' in message(resp)
    with session_scope() as session:
        row = session.get(m.Instance, instance_id)
        assert (row.is_public, json.loads(row.allowed_cidrs)) == (True, ['127.10.0.5/32'])
        assert row.access_change_until is None      # the claim ended with the call
    FakeGuest.fail = None
    assert put_access(api, instance_id, {'is_public': False}).status_code == 202
