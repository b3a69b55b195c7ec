"""python-troveclient 8.11's legacy `trove module-*` commands, unchanged, against the real
stack (issue #11: the client's only module commands), with their effects read back: the
table each prints, the file module-retrieve writes, the guest's file after a reapply."""
import os
import subprocess

import pytest

from tests.functional.instance_helpers import raw, trove, wait_gone, wait_status
from tests.functional.modules_helpers import md5, placed_file, refusal, unique, wait_for


def run(stack, *args, user='demo', cwd=None):
    return subprocess.run(['trove', *args], env=stack.openrc_env(user), capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def ok(stack, *args, **kwargs):
    result = run(stack, *args, **kwargs)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def table(stdout):
    """A prettytable's rows as lists of cell texts, the header first. The shell prints
    list cells that are strings as bytes reprs (b'name'); those are read as their text."""
    def text(cell):
        cell = cell.strip()
        return cell[2:-1] if cell.startswith(("b'", 'b"')) and cell[-1:] in "'\"" else cell
    return [[text(cell) for cell in line.strip().strip('|').split('|')]
            for line in stdout.splitlines() if line.startswith('|')]


def records(stdout):
    """print_list's rows as dicts by header."""
    header, *rows = table(stdout)
    return [dict(zip(header, row)) for row in rows]


def properties(stdout):
    """print_dict's Property/Value table as a dict."""
    return {row[0]: row[1] for row in table(stdout)[1:]}


@pytest.fixture(scope='module')
def instance(stack):
    demo = trove(stack, 'demo')
    made = demo.instances.create(unique('mod-cli'), flavor_id='1', volume={'size': 1},
                                 datastore='redis', datastore_version='7.0')
    try:
        yield wait_status(demo, made.id, 'ACTIVE')
    finally:
        demo.instances.delete(made.id)
        wait_gone(demo, made.id)


def test_module_commands_work_unchanged(stack, instance, tmp_path):
    """Each command once (a `trove` run costs seconds); what each did is read back."""
    demo = trove(stack, 'demo')
    name = unique('cli')
    first, second = tmp_path / 'v1.lic', tmp_path / 'v2.lic'
    first.write_bytes(b'licence v1\n' + bytes(range(256)))     # binary: sent as base64
    second.write_bytes(b'licence v2\n')
    v1, v2 = md5(first.read_bytes()), md5(second.read_bytes())

    created = properties(ok(stack, 'module-create', name, 'file', str(first),
                            '--datastore', 'redis', '--description', 'cli licence',
                            '--live_update', '--apply_order', '3'))
    module_id = created['id']
    assert (created['name'], created['type'], created['md5']) == (name, 'file', v1)
    assert (created['datastore'], created['datastore_version']) == ('redis', 'all')
    assert (created['apply_order'], created['live_update']) == ('3', 'True')
    assert 'contents' not in created
    try:
        # module-list --datastore finds the datastore and sends its id.
        listed = [r for r in records(ok(stack, 'module-list', '--datastore', 'redis'))
                  if r['ID'] == module_id]
        assert [(r['Name'], r['Type'], r['Order']) for r in listed] == [(name, 'file', '3')]
        # By name, as the shell finds modules.
        shown = properties(ok(stack, 'module-show', name))
        assert (shown['id'], shown['instance_count']) == (module_id, '0')

        applied = records(ok(stack, 'module-apply', instance.id, name))
        assert [(r['Name'], r['Status']) for r in applied] == [(name, 'OK')]
        filename = 'redis-all-%s.lic' % name
        with open(placed_file(stack, instance.id, filename), 'rb') as handle:
            assert handle.read() == first.read_bytes()
        (queried,) = [r for r in records(ok(stack, 'module-query', instance.id))
                      if r['Name'] == name]
        assert (queried['Type'], queried['Status'], queried['Version']) == ('file', 'OK', 'all')
        (mine,) = [r for r in records(ok(stack, 'module-list-instance', instance.id))
                   if r['ID'] == module_id]
        assert mine['Md5'] == v1
        assert [r['ID'] for r in records(ok(stack, 'module-instances', name))] == [instance.id]

        # Retrieve writes <name>_<datastore>_<version>.dat with the exact bytes.
        out_dir = tmp_path / 'retrieved'
        said = ok(stack, 'module-retrieve', instance.id, '--directory', str(out_dir))
        saved = out_dir / ('%s_redis_all.dat' % name)
        assert str(saved) in said
        assert saved.read_bytes() == first.read_bytes()

        # Update (the client sends `type`): the instance keeps v1, which the count shows ...
        updated = properties(ok(stack, 'module-update', name, '--file', str(second),
                                '--type', 'file', '--description', 'v2'))
        assert (updated['md5'], updated['description']) == (v2, 'v2')
        (count,) = records(ok(stack, 'module-instance-count', name))
        assert (count['Module Name'], count['Module MD5'], count['Count'], count['Current']) \
            == (name, v1, '1', 'False')
        # ... until a reapply brings the guest to the new bytes.
        ok(stack, 'module-reapply', name)

        def reapplied():
            (row,) = [m for m in demo.instances.modules(instance.id) if m.id == module_id]
            return row.md5 == v2
        wait_for(reapplied, 'module-reapply')
        with open(placed_file(stack, instance.id, filename), 'rb') as handle:
            assert handle.read() == second.read_bytes()

        ok(stack, 'module-remove', instance.id, name)
        assert module_id not in [m.id for m in demo.instances.module_query(instance.id)]
        assert not os.path.exists(placed_file(stack, instance.id, filename))
    finally:
        if os.path.exists(placed_file(stack, instance.id, 'redis-all-%s.lic' % name)):
            run(stack, 'module-remove', instance.id, module_id)
        ok(stack, 'module-delete', module_id)
    refusal(raw(demo, 'GET', '/modules/%s' % module_id), 404)


def test_admin_only_options_refused_to_a_member_taken_from_admin(stack, tmp_path):
    payload = tmp_path / 'hidden.lic'
    payload.write_bytes(b'x')
    name = unique('cli-adm')
    refused = run(stack, 'module-create', name, 'ping', str(payload), '--datastore', 'redis',
                  '--hidden')
    assert refused.returncode != 0 and '403' in refused.stderr, refused.stderr
    made = properties(ok(stack, 'module-create', name, 'ping', str(payload), '--datastore',
                         'redis', '--hidden', '--priority_apply', user='admin'))
    admin = trove(stack, 'admin')
    try:
        assert (made['visible'], made['priority_apply'], made['is_admin']) == (
            'False', 'True', 'True')
        assert made['id'] not in [m.id for m in trove(stack, 'demo').modules.list()]
    finally:
        admin.modules.delete(made['id'])
