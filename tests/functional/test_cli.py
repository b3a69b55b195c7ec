"""python-troveclient's `openstack` commands against the real stack, as the demo user."""
import json
import subprocess

import redis as redis_py

from tests.functional.instance_helpers import trove, wait_gone, wait_status


def osc(stack, *args, user='demo', as_json=True):
    fmt = ['-f', 'json'] if as_json else []
    result = subprocess.run(['openstack', *args, *fmt], env=stack.openrc_env(user),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if as_json else result.stdout


def test_datastore_list_shows_installed_engines(stack):
    names = {row['Name'] for row in osc(stack, 'datastore', 'list')}
    assert {'mariadb', 'postgresql', 'redis'} <= names


def test_datastore_version_list(stack):
    rows = osc(stack, 'datastore', 'version', 'list', 'mariadb')
    assert [r['Name'] for r in rows] == ['10.11']
    assert rows[0]['Version'].startswith('10.11.')
    pg = {r['Name'] for r in osc(stack, 'datastore', 'version', 'list', 'postgresql')}
    assert {'15', '18'} <= pg


def test_flavor_list(stack):
    rows = osc(stack, 'database', 'flavor', 'list')
    assert {r['Name']: r['RAM'] for r in rows}['db.small'] == 512


def test_limit_list(stack):
    # The command prints the absolute limits as a table whatever the format asked for.
    out = osc(stack, 'database', 'limit', 'list', as_json=False)
    assert 'max_instances' in out and 'ABSOLUTE' in out


def test_quota_show_for_own_project(stack):
    rows = osc(stack, 'database', 'quota', 'show', stack.demo_project_id)
    assert {r['Resource'] for r in rows} == {'instances', 'ram', 'volumes', 'backups'}
    # Other tests share the stack: usage must match what the project really has.
    in_use = {r['Resource']: r['In Use'] for r in rows}
    assert in_use['instances'] == len(osc(stack, 'database', 'instance', 'list'))
    # A FAILED backup gives its quota back but stays listed.
    backups = osc(stack, 'database', 'backup', 'list')
    assert in_use['backups'] == len([b for b in backups if b['Status'] != 'FAILED'])


def backups_limit(stack):
    rows = osc(stack, 'database', 'quota', 'show', stack.demo_project_id)
    return {r['Resource']: r['Limit'] for r in rows}['backups']


def set_backups_limit(stack, limit):
    osc(stack, 'database', 'quota', 'update', stack.demo_project_id, 'backups', str(limit),
        user='admin')


def test_quota_update_by_admin_shows_for_demo(stack):
    before = backups_limit(stack)
    try:
        set_backups_limit(stack, 7)
        assert backups_limit(stack) == 7
        result = subprocess.run(['openstack', 'database', 'quota', 'update',
                                 stack.demo_project_id, 'backups', '9'],
                                env=stack.openrc_env('demo'), capture_output=True, text=True,
                                timeout=120)
        assert result.returncode != 0 and '403' in result.stderr
    finally:
        # The demo project is shared by the stack's other tests: they back up more.
        set_backups_limit(stack, before)


def test_configuration_commands_work_unchanged(stack):
    params = {r['Name']: r for r in osc(stack, 'database', 'configuration', 'parameter',
                                         'list', '7.0', '--datastore', 'redis')}
    assert params['maxmemory-policy']['Restart Required'] is False
    assert params['databases']['Restart Required'] is True
    group = osc(stack, 'database', 'configuration', 'create', 'cli-cfg',
                '{"maxmemory-policy": "allkeys-lru"}', '--datastore', 'redis',
                '--datastore-version', '7.0')
    shown = osc(stack, 'database', 'configuration', 'show', group['id'])
    assert 'allkeys-lru' in str(shown['values'])
    instance = osc(stack, 'database', 'instance', 'create', 'cli-cfg', '--flavor', '1',
                   '--size', '1', '--datastore', 'redis', '--datastore-version', '7.0')
    client = trove(stack, 'demo')
    wait_status(client, instance['id'], 'ACTIVE')
    osc(stack, 'database', 'configuration', 'attach', instance['id'], group['id'],
        as_json=False)
    address = client.instances.get(instance['id']).ip[0]
    engine = redis_py.Redis(host=address, port=6379, socket_timeout=5)
    assert engine.info('memory')['maxmemory_policy'] == 'allkeys-lru'
    instances = osc(stack, 'database', 'configuration', 'instances', group['id'])
    assert [r['ID'] for r in instances] == [instance['id']]
    osc(stack, 'database', 'configuration', 'detach', instance['id'], as_json=False)
    assert engine.info('memory')['maxmemory_policy'] == 'noeviction'
    engine.close()
    osc(stack, 'database', 'configuration', 'delete', group['id'], as_json=False)
    osc(stack, 'database', 'instance', 'delete', instance['id'], as_json=False)
    wait_gone(client, instance['id'])


def test_instance_list_all_projects_as_admin(stack):
    demo = trove(stack, 'demo')
    instance = demo.instances.create('everyone', flavor_id='1', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0')
    try:
        rows = osc(stack, 'database', 'instance', 'list', '--all-projects', user='admin')
        row = next(r for r in rows if r['ID'] == instance.id)
        assert row['Tenant ID'] and row['Server ID'] == instance.id
        project = row['Tenant ID']
        only = osc(stack, 'database', 'instance', 'list', '--project-id', project,
                   user='admin')
        assert {r['Tenant ID'] for r in only} == {project}
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)


def test_datastore_version_create_set_delete_as_admin(stack):
    # Registration (issue #12): the image names an installed engine build.
    osc(stack, 'datastore', 'version', 'create', '15', 'pgcli', 'postgresql', 'postgresql-15',
        '--active', '--default', user='admin', as_json=False)
    (row,) = osc(stack, 'datastore', 'version', 'list', 'pgcli', user='admin')
    assert row['Name'] == '15'
    osc(stack, 'datastore', 'version', 'set', row['ID'], '--disable', user='admin',
        as_json=False)
    shown = osc(stack, 'datastore', 'version', 'show', row['ID'], user='admin')
    assert shown['active'] is False
    assert osc(stack, 'datastore', 'version', 'list', 'pgcli') == []
    osc(stack, 'datastore', 'version', 'delete', row['ID'], user='admin', as_json=False)
    refused = subprocess.run(['openstack', 'datastore', 'version', 'create', '15', 'pgcli2',
                              'postgresql', 'postgresql-15'], env=stack.openrc_env('demo'),
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and '403' in refused.stderr
