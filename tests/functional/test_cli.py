"""python-troveclient's `openstack` commands against the real stack, as the demo user."""
import json
import subprocess


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


def test_quota_update_by_admin_shows_for_demo(stack):
    osc(stack, 'database', 'quota', 'update', stack.demo_project_id, 'backups', '7',
        user='admin')
    rows = osc(stack, 'database', 'quota', 'show', stack.demo_project_id)
    assert {r['Resource']: r['Limit'] for r in rows}['backups'] == 7
    result = subprocess.run(['openstack', 'database', 'quota', 'update', stack.demo_project_id,
                             'backups', '9'], env=stack.openrc_env('demo'),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and '403' in result.stderr
