"""Default policy by Keystone role, and an operator's policy file, against the real stack.

A user with only the `reader` role in the demo project (made in Keystone for this module and
removed after it) may list and show the project's instances but not create or delete them.
The stack's policy file ([api] policy_file, the state directory's etc/policy.yaml) is
written while the API runs; its rule applies without a restart and is taken back after.
"""
import json
import os
import time
import uuid

import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from troveclient.v1 import client as trove_client

from tests.functional.instance_helpers import keystone_admin, raw, trove, wait_gone


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def reader(stack):
    """A client of a user whose only role in the demo project is `reader`."""
    keystone, base = keystone_admin(stack)
    password = uuid.uuid4().hex
    user = keystone.post(base + '/users', json={'user': {
        'name': 'reader-' + uuid.uuid4().hex[:8], 'domain_id': 'default',
        'password': password}}).json()['user']
    role = keystone.get(base + '/roles?name=reader').json()['roles'][0]
    keystone.put(base + '/projects/%s/users/%s/roles/%s' % (stack.demo_project_id,
                                                             user['id'], role['id']))
    client = trove_client.Client(session=ks_session.Session(auth=v3.Password(
        auth_url=base, username=user['name'], password=password,
        project_id=stack.demo_project_id, user_domain_id='default')))
    yield client
    keystone.delete(base + '/users/%s' % user['id'])


def assert_refused(resp, rule):
    assert resp.status_code == 403, resp.text
    assert resp.json() == {'forbidden': {
        'code': 403, 'message': "Policy doesn't allow %s to be performed." % rule}}


def test_reader_lists_and_shows_but_cannot_create_or_delete(demo, reader):
    instance = demo.instances.create('policy-reader', flavor_id='1', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0')
    try:
        assert instance.id in [i.id for i in reader.instances.list()]
        assert reader.instances.get(instance.id).name == 'policy-reader'
        assert raw(reader, 'GET', '/limits').status_code == 200
        body = {'instance': {'name': 'refused', 'flavorRef': '1', 'volume': {'size': 1},
                             'datastore': {'type': 'redis', 'version': '7.0'}}}
        before = {i.id for i in demo.instances.list()}
        assert_refused(raw(reader, 'POST', '/instances', json=body), 'instance:create')
        assert {i.id for i in demo.instances.list()} == before
        assert_refused(raw(reader, 'DELETE', '/instances/%s' % instance.id), 'instance:delete')
        # The refused delete left the instance as it was: not marked DELETING.
        assert demo.instances.get(instance.id).status in ('BUILD', 'ACTIVE')
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)


def _pids(stack):
    with open(os.path.join(stack.root, 'run', 'state.json')) as handle:
        state = json.load(handle)
    return state['launcher_pid'], state['children']


def await_status(client, path, wanted, timeout=30, agreeing=8):
    """Poll until `agreeing` answers in a row are `wanted`: every API worker re-reads the file
    on its own (at most every 2 s), so one answer may come from a worker not yet there."""
    deadline = time.monotonic() + timeout
    streak, status = 0, None
    while time.monotonic() < deadline:
        status = raw(client, 'GET', path).status_code
        streak = streak + 1 if status == wanted else 0
        if streak >= agreeing:
            return
        time.sleep(0.1)
    raise AssertionError('GET %s answered %s, not %s, %ss after the policy file changed'
                         % (path, status, wanted, timeout))


def test_policy_file_applies_without_a_restart_and_is_taken_back(stack, demo, reader):
    path = os.path.join(stack.root, 'etc', 'policy.yaml')
    original = open(path).read() if os.path.exists(path) else None
    pids = _pids(stack)
    assert raw(reader, 'GET', '/instances').status_code == 200
    try:
        # Listing instances now needs the member role: the reader is refused, demo is not.
        with open(path, 'w') as handle:
            handle.write('"instance:index": "rule:project_member"\n')
        await_status(reader, '/instances', 403)
        assert_refused(raw(reader, 'GET', '/instances'), 'instance:index')
        assert raw(demo, 'GET', '/instances').status_code == 200
        assert raw(reader, 'GET', '/backups').status_code == 200   # other rules stand
    finally:
        if original is None:
            os.remove(path)
        else:
            with open(path, 'w') as handle:
                handle.write(original)
    await_status(reader, '/instances', 200)
    assert _pids(stack) == pids
