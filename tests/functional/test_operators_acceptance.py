"""The digest's VIS-, REG-, Q-, MSD- and PING- acceptance items (issue #12) that
test_operators_catalogue.py and test_mgmt_instances.py leave out, against the real stack.

A second non-admin project (T2, made in Keystone for this module and removed after it)
stands for "another tenant". Versions are registered on the installed Redis build, whose
instances start fastest; everything made here is removed again (the stack is shared).
"""
import os
import shutil
import signal
import uuid

import psutil
import pytest
from troveclient import exceptions
from troveclient.v1 import datastores as ds_api

from tests.functional.instance_helpers import (leftovers, processes_mentioning, project_member,
                                              raw, trove, wait_gone, wait_status)

DS = 'accds'          # two versions, both deleted at the end
DEPRECATED_DS = 'accdep'
ZERO = '00000000-0000-4000-8000-000000000000'


@pytest.fixture(scope='module')
def admin(stack):
    return trove(stack, 'admin')


@pytest.fixture(scope='module')
def demo(stack):
    return trove(stack, 'demo')


@pytest.fixture(scope='module')
def other(stack):
    """(client, project id) of T2: a member of a project that is neither admin's nor demo's."""
    with project_member(stack, 'acc-t2') as member:
        yield member.client, member.project_id


@pytest.fixture(scope='module')
def versions(admin):
    """{'v1': id, 'v2': id}: two versions of a new datastore on the Redis build."""
    found = {}
    for name in ('v1', 'v2'):
        admin.mgmt_ds_versions.create(name, DS, 'redis', 'redis-7.0', active='true',
                                      default='true' if name == 'v1' else 'false')
        found[name] = next(v.id for v in admin.mgmt_ds_versions.list()
                           if v.datastore_name == DS and v.name == name)
    yield found
    for version_id in found.values():
        try:
            admin.mgmt_ds_versions.delete(version_id)
        except exceptions.NotFound:
            pass    # REG-07's test deleted it
    raw(admin, 'DELETE', '/datastores/%s' % DS)


def _listed(client, datastore=DS):
    """Version names of `datastore` in the datastore list and in its version list."""
    embedded = [v['name'] for d in client.datastores.list() if d.name == datastore
                for v in d.versions]
    try:
        own = [v.name for v in client.datastore_versions.list(datastore)]
    except exceptions.NotFound:
        own = []
    return sorted(embedded), sorted(own)


# -- VIS ---------------------------------------------------------------------------------

def test_existing_versions_are_public_and_show_maturity(admin, demo):       # VIS-01
    assert admin.datastore_versions.get('redis', '7.0').visibility == 'public'
    for version in admin.mgmt_ds_versions.list():
        if version.datastore_name in ('mariadb', 'postgresql', 'redis'):
            assert version.visibility == 'public', version.name
    shown = demo.datastore_versions.get('redis', '7.0')
    assert not hasattr(shown, 'visibility')
    # Maturity comes from the engine's manager (experimental-datastores spec).
    assert shown.maturity == 'experimental'
    assert demo.datastore_versions.get('mariadb', '10.11').maturity == 'stable'


def test_private_version_members_only(stack, admin, demo, other, versions):  # VIS-02
    t2, _ = other
    members = ds_api.DatastoreVersionMembers(admin)
    admin.datastore_versions.update(DS, 'v1', 'private')
    try:
        for tenant in (demo, t2):
            assert _listed(tenant) == (['v2'], ['v2'])
            with pytest.raises(exceptions.NotFound):
                tenant.datastore_versions.get(DS, 'v1')
            with pytest.raises(exceptions.NotFound):
                tenant.datastore_versions.get_by_uuid(versions['v1'])
        assert _listed(admin) == (['v1', 'v2'], ['v1', 'v2'])
        member = members.add(DS, 'v1', stack.demo_project_id)
        try:
            assert _listed(demo) == (['v1', 'v2'], ['v1', 'v2'])
            assert demo.datastore_versions.get(DS, 'v1').id == versions['v1']
            assert _listed(t2) == (['v2'], ['v2'])
            with pytest.raises(exceptions.NotFound):
                t2.datastore_versions.get_by_uuid(versions['v1'])
            assert _listed(admin) == (['v1', 'v2'], ['v1', 'v2'])
        finally:
            members.delete(DS, 'v1', member.id)
    finally:
        admin.datastore_versions.update(DS, 'v1', 'public')


def test_unlisted_version_is_shown_not_listed(admin, demo, versions):       # VIS-03
    admin.datastore_versions.update(DS, 'v2', 'unlisted')
    try:
        assert _listed(demo) == (['v1'], ['v1'])
        assert demo.datastore_versions.get(DS, 'v2').id == versions['v2']
        assert _listed(admin) == (['v1', 'v2'], ['v1', 'v2'])
    finally:
        admin.datastore_versions.update(DS, 'v2', 'public')


def test_deprecated_version_admins_only(admin, demo):                       # VIS-04, REG-07
    admin.mgmt_ds_versions.create('old', DEPRECATED_DS, 'redis', 'redis-7.0', active='true')
    version = next(v for v in admin.mgmt_ds_versions.list()
                   if v.datastore_name == DEPRECATED_DS)
    admin.datastore_versions.update(DEPRECATED_DS, 'old', 'deprecated')
    assert DEPRECATED_DS not in [d.name for d in demo.datastores.list()]
    assert DEPRECATED_DS in [d.name for d in admin.datastores.list()]
    with pytest.raises(exceptions.NotFound):
        demo.datastore_versions.get_by_uuid(version.id)
    with pytest.raises(exceptions.NotFound):
        demo.instances.create('dep', '1', volume={'size': 1}, datastore=DEPRECATED_DS,
                              datastore_version='old')
    instance = admin.instances.create('dep', '1', volume={'size': 1},
                                      datastore=DEPRECATED_DS, datastore_version='old')
    try:
        assert wait_status(admin, instance.id, 'ACTIVE').datastore['version'] == 'old'
        # REG-07: in use by a live instance, the version stays.
        assert raw(admin, 'DELETE', '/mgmt/datastore-versions/%s' % version.id
                   ).status_code == 409
    finally:
        admin.instances.delete(instance.id)
        wait_gone(admin, instance.id)
    # Only the deleted instance's record names it now: deleted, kept for that record.
    gone = raw(admin, 'DELETE', '/mgmt/datastore-versions/%s' % version.id)
    assert gone.status_code == 202, gone.text
    assert raw(admin, 'GET', '/mgmt/datastore-versions/%s' % version.id).status_code == 404
    assert version.id not in [v.id for v in admin.mgmt_ds_versions.list()]
    assert DEPRECATED_DS not in [d.name for d in admin.datastores.list()]
    record = raw(admin, 'GET', '/mgmt/instances/%s?deleted=true' % instance.id)
    assert record.status_code == 200, record.text
    assert record.json()['instance']['datastore']['version'] == 'old'
    # Its name is free: the same name registers again, as a new version.
    admin.mgmt_ds_versions.create('old', DEPRECATED_DS, 'redis', 'redis-7.0', active='true')
    again = next(v for v in admin.mgmt_ds_versions.list()
                 if v.datastore_name == DEPRECATED_DS and v.name == 'old')
    assert again.id != version.id
    assert raw(admin, 'DELETE', '/mgmt/datastore-versions/%s' % again.id).status_code == 202
    raw(admin, 'DELETE', '/datastores/%s' % DEPRECATED_DS)


def test_members_crud_and_by_tenant(stack, admin, demo, versions):          # VIS-05
    members = ds_api.DatastoreVersionMembers(admin)
    stranger = uuid.uuid4().hex
    admin.datastore_versions.update(DS, 'v1', 'private')
    added = [members.add(DS, 'v1', stack.demo_project_id),
             members.add(DS, 'v2', stack.demo_project_id),
             members.add(DS, 'v1', stranger)]
    try:
        first = added[0]
        assert (first.member, first.datastore_version_id) == (stack.demo_project_id,
                                                              versions['v1'])
        shown = members.get(DS, 'v1', first.id)
        assert (shown.id, shown.datastore_version_id, shown.member) == (
            first.id, versions['v1'], stack.demo_project_id)
        assert sorted(m.member for m in members.list(DS, 'v1')) == sorted(
            [stack.demo_project_id, stranger])
        # By tenant: only that project's memberships, across the datastore's versions.
        mine = members.get_by_tenant(DS, stack.demo_project_id)
        assert sorted(m.id for m in mine) == sorted([added[0].id, added[1].id])
        assert [m.id for m in members.get_by_tenant(DS, stranger)] == [added[2].id]
        assert demo.datastore_versions.get(DS, 'v1').id == versions['v1']
        members.delete(DS, 'v1', first.id)
        with pytest.raises(exceptions.NotFound):
            members.get(DS, 'v1', first.id)
        with pytest.raises(exceptions.NotFound):
            demo.datastore_versions.get(DS, 'v1')
    finally:
        for member in added[1:]:
            members.delete(DS, member.datastore_version_id, member.id)
        admin.datastore_versions.update(DS, 'v1', 'public')
    assert members.list(DS, 'v1') == []


def test_visibility_and_member_refusals(stack, admin, demo, versions):      # VIS-06
    base = '/mgmt/datastores/%s/versions/v1' % DS
    for method, path, body in (
            ('PUT', base, {'datastore_version': {'visibility': 'private'}}),
            ('POST', base + '/members', {'member': stack.demo_project_id}),
            ('GET', base + '/members', None),
            ('GET', '/mgmt/datastores/%s/versions/members/%s' % (DS, stack.demo_project_id),
             None)):
        resp = raw(demo, method, path, json=body)
        assert resp.status_code == 403 and resp.json()['forbidden']['code'] == 403, path
    secret = raw(admin, 'PUT', base, json={'datastore_version': {'visibility': 'secret'}})
    assert secret.status_code == 400 and 'visibility' in secret.json()['badRequest']['message']
    members = ds_api.DatastoreVersionMembers(admin)
    with pytest.raises(exceptions.NotFound):
        members.add(DS, 'no-such-version', stack.demo_project_id)
    missing = raw(admin, 'POST', base + '/members', json={})
    assert missing.status_code == 400 and 'member' in missing.json()['badRequest']['message']
    member = members.add(DS, 'v1', stack.demo_project_id)
    try:
        with pytest.raises(exceptions.Conflict):
            members.add(DS, 'v1', stack.demo_project_id)
    finally:
        members.delete(DS, 'v1', member.id)


# -- REG ---------------------------------------------------------------------------------

def test_unknown_image_creates_nothing(admin):                              # REG-03
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.create('1', 'accnothing', 'redis', 'redis-0.1')
    assert 'accnothing' not in [v.datastore_name for v in admin.mgmt_ds_versions.list()]
    assert 'accnothing' not in [d.name for d in admin.datastores.list()]


def test_patch_image_and_unknowns(admin, versions):                         # REG-06
    shown = admin.mgmt_ds_versions.get(versions['v2'])
    full = 'redis-%s' % shown.version          # the same build by its full version
    admin.mgmt_ds_versions.edit(versions['v2'], image=full)
    assert admin.mgmt_ds_versions.get(versions['v2']).image == full
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.edit(versions['v2'], image='redis-0.1')
    assert admin.mgmt_ds_versions.get(versions['v2']).image == full
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.edit(ZERO, image=full)


def test_delete_unused_version(admin, versions):                            # REG-07
    resp = raw(admin, 'DELETE', '/mgmt/datastore-versions/%s' % versions['v2'])
    assert resp.status_code == 202
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.get(versions['v2'])
    with pytest.raises(exceptions.NotFound):
        admin.mgmt_ds_versions.delete(ZERO)


def test_registration_refusals(demo, admin, versions):                      # REG-08
    path = '/mgmt/datastore-versions/%s' % versions['v1']
    for method, target, body in (('GET', path, None), ('PATCH', path, {'active': False}),
                                 ('DELETE', path, None)):
        resp = raw(demo, method, target, json=body)
        assert resp.status_code == 403, (method, resp.text)
    assert admin.mgmt_ds_versions.get(versions['v1']).active is True
    bad = raw(admin, 'POST', '/mgmt/datastore-versions', data='{"version": ',
              headers={'Content-Type': 'application/json'})
    assert bad.status_code == 400 and bad.json()['badRequest']['code'] == 400


# -- Q -----------------------------------------------------------------------------------

def _quotas(client, project):
    return {q['resource']: q for q in raw(client, 'GET', '/mgmt/quotas/%s' % project).json()[
        'quotas']}


def test_quota_show_counts_usage(stack, admin, demo):
    quotas = _quotas(admin, stack.demo_project_id)
    assert set(quotas) >= {'instances', 'volumes', 'backups'}
    for resource, row in quotas.items():
        assert set(row) >= {'resource', 'in_use', 'reserved', 'limit'}, resource
    live = demo.instances.list()
    assert quotas['instances']['in_use'] == len(live)
    assert quotas['volumes']['in_use'] == sum(i.volume['size'] for i in live)


def test_quota_limit_refuses_the_next_instance(admin, other):
    t2, project = other
    # T2 has no quota row yet; the first update makes it, the second changes it.
    assert admin.quota.update(project, {'instances': 2}) == {'instances': 2}
    assert admin.quota.update(project, {'instances': 1}) == {'instances': 1}
    assert _quotas(admin, project)['instances']['limit'] == 1
    first = t2.instances.create('q1', '1', volume={'size': 1}, datastore='redis',
                                datastore_version='7.0')
    try:
        second = raw(t2, 'POST', '/instances', json={'instance': {
            'name': 'q2', 'flavorRef': '1', 'volume': {'size': 1},
            'datastore': {'type': 'redis', 'version': '7.0'}}})
        assert second.status_code == 413, second.text
        assert 'instances' in second.json()['overLimit']['message']
        assert [i.id for i in t2.instances.list()] == [first.id]
    finally:
        t2.instances.delete(wait_status(t2, first.id, 'ACTIVE').id)
        wait_gone(t2, first.id)


def test_quota_refused_to_non_admins(stack, demo):
    assert raw(demo, 'GET', '/mgmt/quotas/%s' % stack.admin_project_id).status_code == 403
    resp = raw(demo, 'PUT', '/mgmt/quotas/%s' % stack.demo_project_id,
               json={'quotas': {'instances': 100}})
    assert resp.status_code == 403 and resp.json()['forbidden']['code'] == 403


def test_quota_update_refuses_bad_bodies(stack, admin):
    path = '/mgmt/quotas/%s' % stack.demo_project_id
    before = _quotas(admin, stack.demo_project_id)
    for body in ({'quotas': {'foo': 3}}, {}, {'quotas': {}}, {'quotas': {'instances': 'ten'}},
                 {'quotas': {'instances': 1.5}}):
        resp = raw(admin, 'PUT', path, json=body)
        assert 400 <= resp.status_code < 500, (body, resp.status_code)
        assert resp.json()[next(iter(resp.json()))]['message'], body
    assert _quotas(admin, stack.demo_project_id) == before


# -- MSD and PING ------------------------------------------------------------------------

@pytest.fixture(scope='module')
def live(demo):
    instance = demo.instances.create('acc-live', '1', volume={'size': 1}, datastore='redis',
                                     datastore_version='7.0')
    yield wait_status(demo, instance.id, 'ACTIVE')
    demo.instances.delete(instance.id)
    wait_gone(demo, instance.id)


def test_mgmt_show_live_instance(admin, demo, live):                        # MSD-01, 05, 06
    for query in ('', '?deleted=true', '?deleted=false', '?deleted=False'):
        resp = raw(admin, 'GET', '/mgmt/instances/%s%s' % (live.id, query))
        assert resp.status_code == 200, query
        shown = resp.json()['instance']
        assert shown['id'] == live.id and shown['deleted'] is False
        assert shown['server']['id'] and shown['volume']['id']
    assert raw(demo, 'GET', '/mgmt/instances/%s' % live.id).status_code == 403
    banana = raw(admin, 'GET', '/mgmt/instances/%s?deleted=banana' % live.id)
    assert banana.status_code == 400 and 'deleted' in banana.json()['badRequest']['message']


def test_rpc_ping_refusals(admin, demo, live):                              # PING-01, 04
    ping = '/mgmt/instances/%s/rpc_ping'
    resp = raw(admin, 'GET', ping % live.id)
    assert resp.status_code == 204 and resp.content == b''
    assert raw(admin, 'GET', ping % ZERO).status_code == 404
    assert raw(demo, 'GET', ping % live.id).status_code == 403
    for method in ('POST', 'PUT', 'DELETE'):
        assert raw(admin, method, ping % live.id).status_code == 405, method


def test_mgmt_show_when_server_and_volume_are_gone(admin, demo, stack):     # MSD-03
    instance = demo.instances.create('acc-gone', '1', volume={'size': 1}, datastore='redis',
                                     datastore_version='7.0')
    try:
        wait_status(demo, instance.id, 'ACTIVE')
        shown = admin.mgmt_instances.show(instance.id)
        server_id, volume_id = shown.server['id'], shown.volume['id']
        # The local driver's "server" is the instance's agent and engine processes, its
        # "volume" a directory: both vanish behind the service's back.
        killed = []
        for pid in processes_mentioning(instance.id):
            try:
                killed.append(psutil.Process(pid))
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, psutil.NoSuchProcess):
                pass
        assert killed
        psutil.wait_procs(killed, timeout=10)
        for path in leftovers(stack, instance.id)[1]:
            if os.sep + 'volumes' + os.sep in path:
                shutil.rmtree(path)
        resp = raw(admin, 'GET', '/mgmt/instances/%s' % instance.id)
        assert resp.status_code == 200
        shown = resp.json()['instance']
        assert (shown['server']['id'], shown['volume']['id']) == (server_id, volume_id)
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)
    assert leftovers(stack, instance.id) == ([], [])
