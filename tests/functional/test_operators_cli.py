"""The operators' commands of python-troveclient 8.11 (`openstack …` and the legacy `trove`
shell) against the real stack, unchanged (issue #12). Each test reads the values back and
removes what it made: the stack is shared by the whole run.

Not in the installed client, so not tested here: `openstack datastore version member …` /
`trove datastore-version-member-*` (DatastoreVersionMembers has no command),
`openstack database flavor create` (MgmtFlavors has none), and `trove management-show`,
`management-list`, `management-rpc-ping` and the other legacy mgmt commands (gone from the
shell). test_operators_catalogue.py drives those calls through the library instead.
"""
import json
import subprocess
import time

import redis as redis_py

from tests.functional.instance_helpers import trove, wait_gone, wait_status


def run(stack, program, *args, user='admin'):
    return subprocess.run([program, *args], env=stack.openrc_env(user), capture_output=True,
                          text=True, timeout=120)


def osc(stack, *args, user='admin', as_json=True):
    result = run(stack, 'openstack', *args, *(['-f', 'json'] if as_json else []), user=user)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if as_json else result.stdout


def legacy_table(stdout):
    """The rows of a `trove` prettytable as lists of cell texts (header row first). The
    shell prints some strings as bytes reprs (b'backups'); those are read as their text."""
    def text(cell):
        cell = cell.strip()
        return cell[2:-1] if cell.startswith(("b'", 'b"')) and cell[-1:] in "'\"" else cell
    return [[text(cell) for cell in line.strip().strip('|').split('|')]
            for line in stdout.splitlines() if line.startswith('|')]


def test_datastore_version_create_show_set_delete(stack):
    osc(stack, 'datastore', 'version', 'create', 'one', 'clids', 'redis', 'redis-7.0',
        '--active', '--default', as_json=False)
    try:
        (row,) = osc(stack, 'datastore', 'version', 'list', 'clids')
        assert row['Name'] == 'one' and row['Version'].startswith('7.0.')
        shown = osc(stack, 'datastore', 'version', 'show', row['ID'])
        assert (shown['name'], shown['active'], shown['image']) == ('one', True, 'redis-7.0')
        assert shown['visibility'] == 'public' and shown['maturity'] == 'experimental'
        # The command prints the default version by name.
        assert osc(stack, 'datastore', 'show', 'clids')['default_version'] == 'one'
        # The demo user sees it too, by name within its datastore.
        assert osc(stack, 'datastore', 'version', 'show', 'one', '--datastore', 'clids',
                   user='demo')['id'] == row['ID']

        osc(stack, 'datastore', 'version', 'set', row['ID'], '--version-name', 'uno',
            '--image', '/usr/bin', '--disable', '--non-default', as_json=False)
        shown = osc(stack, 'datastore', 'version', 'show', row['ID'])
        assert (shown['name'], shown['active'], shown['image']) == ('uno', False, '/usr/bin')
        assert 'default_version' not in osc(stack, 'datastore', 'show', 'clids')
        # Inactive: gone from the demo user's list.
        assert osc(stack, 'datastore', 'version', 'list', 'clids', user='demo') == []

        refused = run(stack, 'openstack', 'datastore', 'version', 'set', row['ID'],
                      '--enable', user='demo')
        assert refused.returncode != 0 and '403' in refused.stderr
        osc(stack, 'datastore', 'version', 'delete', row['ID'], as_json=False)
        missing = run(stack, 'openstack', 'datastore', 'version', 'show', row['ID'])
        assert missing.returncode != 0 and '404' in missing.stderr
    finally:
        osc(stack, 'datastore', 'delete', 'clids', as_json=False)
    assert 'clids' not in {r['Name'] for r in osc(stack, 'datastore', 'list')}


def test_quota_show_and_update_by_project_name(stack):
    rows = {r['Resource']: r for r in osc(stack, 'database', 'quota', 'show', 'demo')}
    assert {'instances', 'volumes', 'backups'} <= set(rows)
    before = rows['volumes']['Limit']
    try:
        updated = osc(stack, 'database', 'quota', 'update', 'demo', 'volumes',
                      str(before + 5))
        assert updated == {'volumes': before + 5}
        rows = {r['Resource']: r for r in osc(stack, 'database', 'quota', 'show',
                                              stack.demo_project_id)}
        assert rows['volumes']['Limit'] == before + 5
        unknown = run(stack, 'openstack', 'database', 'quota', 'update', 'demo', 'foo', '3')
        assert unknown.returncode != 0 and 'foo' in unknown.stderr
    finally:
        osc(stack, 'database', 'quota', 'update', 'demo', 'volumes', str(before))


def test_legacy_trove_quota_commands(stack):
    shown = run(stack, 'trove', 'quota-show', stack.demo_project_id)
    assert shown.returncode == 0, shown.stderr
    table = legacy_table(shown.stdout)
    assert table[0] == ['Resource', 'In Use', 'Reserved', 'Limit']
    limits = {row[0]: int(row[3]) for row in table[1:]}
    assert {'instances', 'volumes', 'backups'} <= set(limits)
    try:
        updated = run(stack, 'trove', 'quota-update', stack.demo_project_id, 'backups',
                      str(limits['backups'] + 1))
        assert updated.returncode == 0, updated.stderr
        assert ['backups', str(limits['backups'] + 1)] in legacy_table(updated.stdout)
        refused = run(stack, 'trove', 'quota-update', stack.demo_project_id, 'backups', '99',
                      user='demo')
        assert refused.returncode != 0 and '403' in refused.stderr + refused.stdout
    finally:
        run(stack, 'trove', 'quota-update', stack.demo_project_id, 'backups',
            str(limits['backups']))


def test_legacy_trove_datastore_version_show_has_visibility_for_admin(stack):
    shown = run(stack, 'trove', 'datastore-version-show', '7.0', '--datastore', 'redis')
    assert shown.returncode == 0, shown.stderr
    fields = {row[0]: row[1] for row in legacy_table(shown.stdout)[1:]}
    assert fields['name'] == '7.0' and fields['visibility'] == 'public'
    demo = run(stack, 'trove', 'datastore-version-show', '7.0', '--datastore', 'redis',
               user='demo')
    assert demo.returncode == 0 and 'visibility' not in demo.stdout


def _run_id(address, password):
    """The Redis server's run id (new at every start), or None while it does not answer."""
    try:
        return redis_py.Redis(host=address, password=password, socket_timeout=2).info(
            'server')['run_id']
    except redis_py.exceptions.ConnectionError:
        return None


def test_all_projects_list_and_mgmt_reboot(stack):
    demo = trove(stack, 'demo')
    instance = demo.instances.create('cli-ops', flavor_id='1', volume={'size': 1},
                                     datastore='redis', datastore_version='7.0')
    try:
        wait_status(demo, instance.id, 'ACTIVE')
        rows = osc(stack, 'database', 'instance', 'list', '--all-projects')
        row = next(r for r in rows if r['ID'] == instance.id)
        assert row['Tenant ID'] == stack.demo_project_id and row['Name'] == 'cli-ops'
        only = osc(stack, 'database', 'instance', 'list', '--project-id',
                   stack.demo_project_id)
        assert {r['Tenant ID'] for r in only} == {stack.demo_project_id}
        assert instance.id in {r['ID'] for r in only}
        refused = run(stack, 'openstack', 'database', 'instance', 'list', '--all-projects',
                      user='demo')
        assert refused.returncode != 0 and '403' in refused.stderr
        # `database instance reboot` is the management reboot (admin): the engine restarts.
        password = demo.root.create(instance.id)[1]
        address = demo.instances.get(instance.id).ip[0]
        before = _run_id(address, password)
        osc(stack, 'database', 'instance', 'reboot', instance.id, as_json=False)
        deadline = time.monotonic() + 120
        while _run_id(address, password) in (before, None):
            assert time.monotonic() < deadline, 'the engine was not restarted'
            time.sleep(0.2)
        wait_status(demo, instance.id, 'ACTIVE', timeout=120)
    finally:
        demo.instances.delete(instance.id)
        wait_gone(demo, instance.id)
