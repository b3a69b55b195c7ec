"""Default policy by role: what reader, member, admin, no role and another project may do;
every rule the spec and the routes name is registered; the sample file is the generated one;
an operator's policy file applies without a restart (POL-03..06)."""
import os
import re
import subprocess
import sys

import pytest

from api_service.common import config
from api_service.common import context
from api_service.common import exceptions
from api_service.common import policies
from api_service.common import policy

PROJECT = 'a' * 32
OTHER = 'b' * 32
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Open to anyone with a token (POL-02), whatever the roles.
OPEN = {'datastore:index', 'datastore:show', 'datastore:version_index',
        'datastore:version_show', 'datastore:version_show_by_uuid',
        'datastore:list_associated_flavors', 'datastore:list_associated_volume_types',
        'flavor:index', 'flavor:show', 'volume_type:index', 'volume_type:show',
        'availability_zone:index', 'region:index', 'network:index'}
# Admins only: the operator's APIs, and what reaches beyond one project.
ADMIN_ONLY = {'instance:reset_status', 'backup:index:all_projects', 'cluster:reset-status',
              'quota:update', 'quota:index', 'datastore:delete', 'flavor:create',
              'flavor:update', 'flavor:delete', 'volume_type:create', 'volume_type:update',
              'volume_type:delete', 'module:admin_options'}
ADMIN_PREFIXES = ('mgmt:', 'datastore_version', 'configuration-parameter:mgmt_')
ADMIN_ONLY |= {'configuration-parameter:' + a for a in ('create', 'update', 'delete')}
BASE = {'context_is_admin', 'admin', 'project_member', 'project_reader', 'admin_or_owner',
        'default'}

# The spec's appendix (ocata__trove-policy), every name of it.
SPEC_APPENDIX = '''
instance:create instance:delete instance:index instance:show instance:update instance:edit
instance:restart instance:resize_volume instance:resize_flavor instance:reset_password
instance:promote_to_replica_source instance:eject_replica_source instance:configuration
instance:guest_log_list instance:backups instance:module_list instance:module_apply
instance:module_remove instance:extension:root:create instance:extension:root:delete
instance:extension:root:index instance:extension:user:create instance:extension:user:delete
instance:extension:user:index instance:extension:user:show instance:extension:user:update
instance:extension:user:update_all instance:extension:user_access:update
instance:extension:user_access:delete instance:extension:user_access:index
instance:extension:database:create instance:extension:database:delete
instance:extension:database:index instance:extension:database:show cluster:create
cluster:delete cluster:index cluster:show cluster:show_instance cluster:action
cluster:extension:root:create cluster:extension:root:delete cluster:extension:root:index
backup:create backup:delete backup:index backup:show configuration:create
configuration:delete configuration:index configuration:show configuration:instances
configuration:update configuration:edit configuration-parameter:index
configuration-parameter:show configuration-parameter:index_by_version
configuration-parameter:show_by_version datastore:index datastore:show
datastore:version_show datastore:version_show_by_uuid datastore:version_index
datastore:list_associated_flavors datastore:list_associated_volume_types flavor:index
flavor:show limits:index module:create module:delete module:index module:show
module:instances module:update admin_or_owner default
'''.split()
# Upstream's reset_password became a user's password change; the rule never returned.
NOT_REGISTERED = {'instance:reset_password'}


def rules():
    return {rule.name: rule for rule in policies.list_rules()}


def kind(rule):
    """The rule's class by its name and method: open, admin, read (all GET) or write."""
    name = rule.name
    if name in OPEN:
        return 'open'
    if name in ADMIN_ONLY or name.startswith(ADMIN_PREFIXES):
        return 'admin'
    return 'read' if all(op['method'] == 'GET' for op in rule.operations) else 'write'


EXPECTED = {
    'reader': {'open', 'read'},
    'member': {'open', 'read', 'write'},
    'reader_and_member': {'open', 'read', 'write'},
    'admin': {'open', 'read', 'write', 'admin'},
    'no_role': {'open'},
    'other_project_member': {'open'},
    'other_project_reader': {'open'},
    'unrelated_role': {'open'},
}
PERSONAS = {
    'reader': (PROJECT, ['reader']),
    'member': (PROJECT, ['member']),
    # What Keystone puts in a member's token: the implied reader role too.
    'reader_and_member': (PROJECT, ['member', 'reader']),
    'admin': (OTHER, ['admin']),
    'no_role': (PROJECT, []),
    'other_project_member': (OTHER, ['member']),
    'other_project_reader': (OTHER, ['reader']),
    'unrelated_role': (PROJECT, ['service']),
}


def ctx_for(project, roles):
    return context.RequestContext(project_id=project, url_project_id=project, roles=roles,
                                  is_admin='admin' in roles)


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """A policy file path the enforcer reads, re-checked at every enforcement."""
    path = tmp_path / 'policy.yaml'
    config.load([])
    config.CONF.set_override('policy_file', str(path), 'api')
    monkeypatch.setattr(policy, 'RELOAD_CHECK_SECONDS', -1)
    policy.reset()
    yield path
    policy.reset()
    config.CONF.clear_override('policy_file', 'api')


def write(path, text):
    """Write a policy file with an mtime past any earlier one (mtime granularity)."""
    before = os.path.getmtime(path) if path.exists() else 0
    path.write_text(text)
    os.utime(path, (before + 10, before + 10))


def allowed(ctx, rule, target=None):
    try:
        policy.enforce(ctx, rule, target)
        return True
    except exceptions.Forbidden:
        return False


def owner_target():
    return {'tenant': PROJECT, 'project_id': PROJECT}


@pytest.mark.parametrize('persona', sorted(PERSONAS))
def test_each_role_gets_exactly_what_the_defaults_say(policy_file, persona):
    ctx = ctx_for(*PERSONAS[persona])
    registered = {name: rule for name, rule in rules().items() if name not in BASE}
    got = {name for name in registered if allowed(ctx, name, owner_target())}
    expected = {name for name, rule in registered.items() if kind(rule) in EXPECTED[persona]}
    assert got == expected, ('allowed but should not be: %s; refused but should not be: %s'
                             % (sorted(got - expected), sorted(expected - got)))


def test_the_table_has_every_kind_and_names_only_registered_rules():
    registered = rules()
    assert (OPEN | ADMIN_ONLY) <= set(registered)
    kinds = {kind(rule) for name, rule in registered.items() if name not in BASE}
    assert kinds == {'open', 'admin', 'read', 'write'}


def test_every_spec_rule_and_every_rule_the_routes_enforce_is_registered():
    registered = set(rules())
    assert set(SPEC_APPENDIX) - NOT_REGISTERED <= registered
    used = set()
    for folder, _dirs, files in os.walk(os.path.join(REPO, 'api_service')):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(folder, name)) as handle:
                    used |= set(re.findall(r"enforce\([^,()]+, '([^']+)'", handle.read()))
    assert used and used <= registered, sorted(used - registered)


def test_every_rule_documents_what_it_guards():
    for rule in policies.list_rules():
        assert rule.description, rule.name
        if rule.name not in BASE:
            assert rule.operations, rule.name
            for op in rule.operations:
                assert op['path'].startswith('/v1.0/{project_id}/'), rule.name
                assert op['method'] in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), rule.name


def test_the_committed_sample_is_what_make_policy_sample_writes(tmp_path):
    generator = os.path.join(os.path.dirname(sys.executable), 'oslopolicy-sample-generator')
    out = tmp_path / 'policy.yaml.sample'
    subprocess.run([generator, '--config-file',
                    os.path.join(REPO, 'etc', 'dbaas', 'dbaas-policy-generator.conf'),
                    '--output-file', str(out)], cwd=REPO, capture_output=True, check=True)
    with open(os.path.join(REPO, 'etc', 'dbaas', 'policy.yaml.sample')) as handle:
        committed = handle.read()
    assert committed == out.read_text(), 'run `make policy-sample` and commit the result'


def test_operators_file_naming_admin_or_owner_means_a_project_member(policy_file):
    write(policy_file, '"instance:index": "rule:admin_or_owner"\n')
    assert allowed(ctx_for(PROJECT, ['member']), 'instance:index')
    assert not allowed(ctx_for(PROJECT, ['reader']), 'instance:index')
    # Upstream's meaning back, in two lines: any role in the project.
    write(policy_file, '"project_member": "rule:admin or project_id:%(tenant)s"\n'
                       '"project_reader": "rule:project_member"\n')
    assert allowed(ctx_for(PROJECT, ['service']), 'instance:delete', owner_target())
    assert not allowed(ctx_for(OTHER, ['member']), 'instance:delete', owner_target())


def test_pol03_override_refuses_the_owner_and_admits_an_admin(policy_file):
    owner, admin = ctx_for(PROJECT, ['member']), ctx_for(OTHER, ['admin'])
    assert allowed(owner, 'instance:delete', owner_target())
    write(policy_file, '"instance:delete": "role:admin"\n')
    with pytest.raises(exceptions.Forbidden, match='instance:delete'):
        policy.enforce(owner, 'instance:delete', owner_target())
    assert allowed(admin, 'instance:delete', owner_target())


def test_pol03_refusal_is_trove_envelope_403(client, conf, tmp_path):
    assert client.get('/instances').status_code == 200
    write(tmp_path / 'policy.yaml', '"instance:index": "role:admin"\n')
    policy.reset()
    resp = client.get('/instances')
    assert resp.status_code == 403
    assert resp.json_body_or_none == {'forbidden': {
        'code': 403, 'message': "Policy doesn't allow instance:index to be performed."}}
    assert client.get('/instances', roles='admin').status_code == 200


@pytest.mark.parametrize('key,rule', [('users', 'instance:extension:user:create'),
                                      ('databases', 'instance:extension:database:create'),
                                      ('modules', 'instance:module_apply')])
def test_pol04_a_create_checks_every_rule_its_body_needs(policy_file, key, rule):
    owner = ctx_for(PROJECT, ['member'])
    write(policy_file, '"%s": "!"\n' % rule)
    body = {'name': 'db', key: [{'name': 'x'}]}
    assert rule in policy.instance_create_rules(body)
    with pytest.raises(exceptions.Forbidden, match=re.escape(rule)):
        policy.enforce_all(owner, policy.instance_create_rules(body))
    policy.enforce_all(owner, policy.instance_create_rules({'name': 'db'}))
    assert policy.instance_create_rules({'name': 'db', key: []}) == ['instance:create']


def test_pol05_the_target_tenant_is_the_owners(policy_file):
    write(policy_file, '"instance:show": "tenant:%(tenant)s"\n')
    assert allowed(ctx_for(PROJECT, ['reader']), 'instance:show', owner_target())
    assert not allowed(ctx_for(OTHER, ['member']), 'instance:show', owner_target())
    # An admin too: nothing in this rule admits admins.
    assert not allowed(ctx_for(OTHER, ['admin']), 'instance:show', owner_target())


@pytest.mark.parametrize('text', ['"instance:index": [ : not yaml\n', '- a list\n',
                                  '"instance:index": 5\n'])
def test_pol06_an_invalid_file_leaves_the_defaults(policy_file, text, caplog):
    write(policy_file, '"instance:index": "!"\n')
    reader = ctx_for(PROJECT, ['reader'])
    assert not allowed(reader, 'instance:index')
    write(policy_file, text)
    assert allowed(reader, 'instance:index')
    assert allowed(reader, 'instance:index')
    assert not allowed(reader, 'instance:create')
    assert [r for r in caplog.records if 'cannot be read' in r.getMessage()]
    write(policy_file, '"instance:index": "!"\n')
    assert not allowed(reader, 'instance:index')


def test_an_unreadable_file_keeps_the_rules_last_read_and_is_no_500(policy_file):
    # A directory where the file should be: reading it is an OSError, as a file the
    # service's user may not read is. oslo.policy logs it and keeps what it had.
    write(policy_file, '"instance:index": "!"\n')
    reader = ctx_for(PROJECT, ['reader'])
    assert not allowed(reader, 'instance:index')
    policy_file.unlink()
    policy_file.mkdir()
    assert not allowed(reader, 'instance:index')
    assert allowed(reader, 'instance:show', owner_target())


def test_pol06_a_missing_or_removed_file_leaves_the_defaults(policy_file):
    member = ctx_for(PROJECT, ['member'])
    assert not policy_file.exists() and allowed(member, 'instance:create')
    write(policy_file, '"instance:create": "!"\n')
    assert not allowed(member, 'instance:create')
    policy_file.unlink()
    assert allowed(member, 'instance:create')
    write(policy_file, '"instance:create": "!"\n')
    assert not allowed(member, 'instance:create')


def test_a_changed_file_applies_at_the_next_check_without_a_restart(policy_file, monkeypatch):
    monkeypatch.setattr(policy, 'RELOAD_CHECK_SECONDS', 2.0)
    now = [1000.0]
    monkeypatch.setattr(policy.time, 'monotonic', lambda: now[0])
    member = ctx_for(PROJECT, ['member'])
    assert allowed(member, 'backup:create')
    write(policy_file, '"backup:create": "role:admin"\n')
    now[0] += 1.0
    assert allowed(member, 'backup:create')  # between checks the loaded rules stand
    now[0] += 1.5
    assert not allowed(member, 'backup:create')
    policy_file.unlink()
    now[0] += 2.5
    assert allowed(member, 'backup:create')
