"""Backups through the API, in-process: validation, chains, deletes, quotas, isolation."""
import pytest

from api_service.api.controllers import backups as backups_controller
from api_service.db import models_backups as b
from api_service.db import models_instances as m
from api_service.db.session import session_scope
from tests.unit.conftest import OTHER_PROJECT, PROJECT
from tests.unit.test_instances_api import Recorder, api, create  # noqa: F401  (fixture)


@pytest.fixture
def bapi(api, monkeypatch):  # noqa: F811
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin',
                                             capabilities='backups,databases,'
                                                          'incremental_backups,root,users')
    recorder = Recorder()
    monkeypatch.setattr(backups_controller.Backups, 'taskmanager', recorder)
    api.backup_casts = recorder.casts
    return api


def active_instance(api, project=PROJECT):
    instance_id = create(api, project=project).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, instance_id).status = 'ACTIVE'
    return instance_id


def backup(api, instance_id, **extra):
    return api.request('POST', '/backups', body={'backup': dict(name='b', instance=instance_id,
                                                                **extra)})


def complete(backup_id):
    with session_scope() as session:
        row = session.get(b.Backup, backup_id)
        row.status, row.size_bytes, row.checksum = 'COMPLETED', 1024, 'sha256:x'
        session.get(m.Instance, row.instance_id).status = 'ACTIVE'


def backups_in_use():
    from api_service.domain import quotas
    return {row['resource']: row['in_use'] for row in quotas.show(PROJECT)}['backups']


def message(resp):
    return list(resp.json_body_or_none.values())[0]['message']


def test_create_marks_instance_backup_and_casts(bapi):
    instance_id = active_instance(bapi)
    resp = backup(bapi, instance_id, description='nightly')
    assert resp.status_code == 202, resp.body
    made = resp.json_body_or_none['backup']
    assert made['status'] == 'NEW' and made['instance_id'] == instance_id
    assert made['datastore'] == {'type': 'mariadb', 'version': '10.11',
                                 'version_id': made['datastore']['version_id']}
    assert bapi.backup_casts[-1][0] == 'create_backup'
    shown = bapi.get('/instances/%s' % instance_id).json_body_or_none['instance']
    assert shown['status'] == 'BACKUP'
    resp = backup(bapi, instance_id)
    assert resp.status_code == 409 and 'BACKUP' in message(resp)


def test_incremental_needs_a_completed_parent_of_the_same_instance(bapi):
    instance_id = active_instance(bapi)
    resp = backup(bapi, instance_id, incremental=1)
    assert resp.status_code == 400 and 'full backup first' in message(resp)
    full = backup(bapi, instance_id).json_body_or_none['backup']['id']
    complete(full)
    child = backup(bapi, instance_id, incremental=1).json_body_or_none['backup']
    assert child['parent_id'] == full
    other = active_instance(bapi)
    resp = backup(bapi, other, parent_id=full)
    assert resp.status_code == 400 and 'another instance' in message(resp)


def test_delete_refuses_a_parent_unless_the_chain_goes_too(bapi):
    instance_id = active_instance(bapi)
    full = backup(bapi, instance_id).json_body_or_none['backup']['id']
    complete(full)
    child = backup(bapi, instance_id, parent_id=full).json_body_or_none['backup']['id']
    complete(child)
    resp = bapi.request('DELETE', '/backups/%s' % full)
    assert resp.status_code == 409 and child in message(resp)
    resp = bapi.request('DELETE', '/backups/%s?delete_chain=true' % full)
    assert resp.status_code == 202
    assert bapi.get('/backups/%s' % child).json_body_or_none['backup']['status'] == 'DELETING'
    (method, _, kwargs) = bapi.backup_casts[-1]
    assert method == 'delete_backups' and sorted(kwargs['backup_ids']) == sorted([full, child])


def test_backup_quota_and_listing_and_isolation(bapi):
    bapi.request('PUT', '/mgmt/quotas/%s' % PROJECT, body={'quotas': {'backups': 1}},
                 roles='admin')
    instance_id = active_instance(bapi)
    first = backup(bapi, instance_id).json_body_or_none['backup']['id']
    complete(first)
    resp = backup(bapi, instance_id)
    assert resp.status_code == 413 and 'backups' in message(resp)
    listed = bapi.get('/backups').json_body_or_none['backups']
    assert [x['id'] for x in listed] == [first]
    per_instance = bapi.get('/instances/%s/backups' % instance_id).json_body_or_none
    assert [x['id'] for x in per_instance['backups']] == [first]
    assert bapi.get('/backups', project=OTHER_PROJECT).json_body_or_none['backups'] == []
    assert bapi.get('/backups/%s' % first, project=OTHER_PROJECT).status_code == 404


def test_bad_backup_requests(bapi):
    assert backup(bapi, 'not-a-uuid').status_code == 404
    assert bapi.request('POST', '/backups', body={'backup': {'name': 'x'}}).status_code == 400
    resp = bapi.request('POST', '/backups', body={'backup': {'name': 'x', 'bogus': 1}})
    assert resp.status_code == 400 and 'bogus' in message(resp)
    redis_id = create(bapi, datastore={'type': 'redis'}).json_body_or_none['instance']['id']
    with session_scope() as session:
        session.get(m.Instance, redis_id).status = 'ACTIVE'
    resp = backup(bapi, redis_id)
    assert resp.status_code == 400 and 'cannot be backed up' in message(resp)


def test_restore_point_checks_the_backup(bapi):
    instance_id = active_instance(bapi)
    full = backup(bapi, instance_id).json_body_or_none['backup']['id']
    resp = create(bapi, restorePoint={'backupRef': full})
    assert resp.status_code == 400 and 'COMPLETED' in message(resp)
    complete(full)
    resp = create(bapi, restorePoint={'backupRef': full})
    assert resp.status_code == 200
    (method, _, kwargs) = bapi.recorder.casts[-1]
    assert method == 'create_instance' and kwargs['restore'][0]['id'] == full
    resp = create(bapi, restorePoint={'backupRef': full}, datastore={'type': 'redis'})
    assert resp.status_code == 400 and 'another datastore version' in message(resp)


def test_a_backup_that_finishes_after_failing_stays_failed_and_leaves_no_object(
        bapi, tmp_path, monkeypatch):
    from api_service.conductor.service import ConductorEndpoint
    from api_service.domain import backups as backups_domain
    from api_service.domain import instances as instances_domain
    from api_service.drivers.storage import LocalObjectStore
    from api_service.rpc import secure
    store = LocalObjectStore(str(tmp_path))
    monkeypatch.setattr(backups_domain, 'object_store', lambda: store)
    instance_id = active_instance(bapi)
    made = backup(bapi, instance_id).json_body_or_none['backup']
    backups_domain.fail(instance_id, made['id'], 'the backup missed its deadline')
    with session_scope() as session:
        location = session.get(b.Backup, made['id']).location
    held = backups_in_use()
    with store.open_writer(location) as writer:   # the stopped guest wakes up and writes
        writer.write(b'late data')
    ConductorEndpoint().backup_done({}, instance_id, secure.seal(
        instances_domain.instance_key(instance_id),
        {'backup_id': made['id'], 'ok': True, 'size': 9, 'checksum': 'sha256:x'}))
    shown = bapi.get('/backups/%s' % made['id']).json_body_or_none['backup']
    assert shown['status'] == 'FAILED'
    assert not store.exists(location)
    assert backups_in_use() == held == 0


def test_listing_is_newest_first_paged_and_filtered(bapi):
    import datetime
    instance_id = active_instance(bapi)
    made = []
    for index in range(5):
        made.append(backup(bapi, instance_id).json_body_or_none['backup']['id'])
        complete(made[-1])
    with session_scope() as session:   # two share a timestamp: the id breaks the tie
        for index, backup_id in enumerate(made):
            session.get(b.Backup, backup_id).created = datetime.datetime(
                2026, 1, 1, 0, 0, min(index, 3))
    newest_first = sorted(made, key=lambda i: (min(made.index(i), 3), i), reverse=True)
    seen, url = [], '/backups?limit=2'
    while url:
        body = bapi.get(url).json_body_or_none
        seen += [x['id'] for x in body['backups']]
        nxt = [link['href'] for link in body.get('links', []) if link['rel'] == 'next']
        url = nxt[0][nxt[0].index('/backups'):] if nxt else None
    assert seen == newest_first
    assert [x['id'] for x in bapi.get('/backups?datastore=mariadb').json_body_or_none[
        'backups']] == newest_first
    assert bapi.get('/backups?datastore=redis').json_body_or_none['backups'] == []
    resp = bapi.get('/backups?datastore=nosuch')
    assert resp.status_code == 404 and 'nosuch' in message(resp)


def test_only_admins_list_other_projects_backups(bapi):
    mine = active_instance(bapi)
    theirs = active_instance(bapi, project=OTHER_PROJECT)
    first = backup(bapi, mine).json_body_or_none['backup']['id']
    complete(first)
    resp = bapi.request('POST', '/backups', body={'backup': {'name': 'x', 'instance': theirs}},
                        project=OTHER_PROJECT)
    other = resp.json_body_or_none['backup']['id']
    assert bapi.get('/backups?all_projects=true').status_code == 403
    assert bapi.get('/backups?project_id=%s' % OTHER_PROJECT).status_code == 403
    every = bapi.get('/backups?all_projects=true', roles='admin').json_body_or_none['backups']
    assert {first, other} <= {x['id'] for x in every}
    only = bapi.get('/backups?project_id=%s' % OTHER_PROJECT, roles='admin').json_body_or_none
    assert [x['id'] for x in only['backups']] == [other]


def test_incrementals_are_refused_where_the_engine_makes_none(bapi):
    from api_service.domain import catalogue_admin
    catalogue_admin.upsert_datastore_version('mariadb', '10.11', '10.11.19', 'mariadb',
                                             '/usr/sbin', capabilities='backups,databases')
    instance_id = active_instance(bapi)
    first = backup(bapi, instance_id).json_body_or_none['backup']['id']
    complete(first)
    for extra in ({'incremental': 1}, {'parent_id': first}):
        resp = backup(bapi, instance_id, **extra)
        assert resp.status_code == 400 and 'cannot make incremental backups' in message(resp)
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).status == 'ACTIVE'


@pytest.mark.parametrize('filters', [{'project'}, {'project', 'marker'},
                                     {'project', 'marker', 'instance', 'datastore'}])
def test_every_page_of_the_list_is_an_index_range(bapi, filters):
    """No sort and no skipping: a later page costs what the first does (O(page))."""
    from api_service.db.session import read_scope
    from api_service.domain import backups as backups_domain
    stmt = backups_domain._page_stmt(frozenset(filters))
    values = {'project': PROJECT, 'limit': 21, 'marker': 'm', 'instance': 'i', 'datastore': 'd'}
    with read_scope() as conn:
        compiled = stmt.compile(conn)
        if conn.dialect.name == 'sqlite':
            plan = [row[-1] for row in conn.exec_driver_sql(
                'EXPLAIN QUERY PLAN ' + str(compiled),
                tuple(values.get(name, 0) for name in compiled.positiontup)).all()]
        else:
            # The tables are empty: without this the planner rightly prefers reading them.
            conn.exec_driver_sql('SET enable_seqscan = off')
            plan = [row[0] for row in conn.exec_driver_sql(
                'EXPLAIN ' + str(compiled), {name: values.get(name, 0)
                                            for name in compiled.params}).all()]
            conn.exec_driver_sql('RESET enable_seqscan')
    if conn.dialect.name == 'sqlite':
        scan = next(step for step in plan if 'ix_backups_project_live' in step)
        assert not any('TEMP B-TREE' in step for step in plan), plan
        assert ('created<?' in scan) == ('marker' in filters), plan
    else:
        at = next(i for i, step in enumerate(plan) if 'ix_backups_project_live' in step)
        assert not any('Sort  (' in step for step in plan), plan   # Sort, Incremental Sort
        assert ('created <=' in plan[at + 1]) == ('marker' in filters), plan
