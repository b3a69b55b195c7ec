"""Configuration groups at their edges: guests that time out or break, admins crossing
projects, live changes against restarts/resizes/backups, hostile input, and the names the
guest keeps for itself."""
import datetime
import json

import pytest
from sqlalchemy import event

from api_service.api.controllers import instances as controller
from api_service.common import exceptions
from api_service.db import models
from api_service.db import models_configurations as mc
from api_service.db import models_instances as m
from api_service.db import session as db_session
from api_service.db.session import session_scope
from api_service.domain import configurations
from api_service.domain import instances
from tests.unit.conftest import OTHER_PROJECT, PROJECT
from tests.unit.test_configurations_api import (  # noqa: F401 - `api` is a fixture
    MIB, FakeGuest, api, attach, create_instance, group_id, message, shown,
    values_of)

ADMIN = dict(roles='admin')


def _patch(api, configuration_id, values, **kw):
    return api.request('PATCH', '/configurations/%s' % configuration_id,
                       body={'configuration': {'values': values}}, **kw)


# -- a failed change gives the previous values back to every guest ----------------------

def test_a_guest_that_timed_out_gets_the_previous_values_back_too(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    first, second = create_instance(api), create_instance(api)
    for instance_id in (first, second):
        assert attach(api, instance_id, configuration_id).status_code == 202
    FakeGuest.calls = []
    # The timed-out call may still reach the guest after the answer: it is undone as well.
    FakeGuest.refuse[second] = exceptions.Conflict('The instance did not answer in time; '
                                                   'try again.')
    resp = _patch(api, configuration_id, {'wait_timeout': 90})
    assert resp.status_code == 409, resp.body
    assert second in message(resp) and 'did not answer in time' in message(resp)
    previous, new = {'interactive_timeout': 200}, {'interactive_timeout': 200, 'wait_timeout': 90}
    for instance_id in (first, second):
        assert [c for c in FakeGuest.calls if c[0] == instance_id] == [
            (instance_id, new), (instance_id, previous)]
    assert FakeGuest.engines[first] == previous
    assert values_of(api, configuration_id) == previous


def test_a_guest_failing_with_an_unexpected_error_is_a_503_not_a_500(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    FakeGuest.refuse[instance_id] = RuntimeError('socket /var/run/secret.sock broke')
    resp = attach(api, instance_id, configuration_id)
    assert resp.status_code == 503, resp.body
    assert instance_id in message(resp) and 'try again later' in message(resp)
    assert 'secret.sock' not in message(resp) and 'RuntimeError' not in message(resp)
    assert 'configuration' not in shown(api, instance_id)
    member_view = shown(api, instance_id)['fault']
    assert 'details' not in member_view and 'guest agent' in member_view['message']
    admin_view = api.get('/instances/%s' % instance_id, **ADMIN).json_body_or_none[
        'instance']['fault']
    assert 'RuntimeError' in admin_view['details'] and 'secret.sock' in admin_view['details']
    with session_scope() as session:
        assert session.get(m.Instance, instance_id).access_change_until is None


# -- projects -----------------------------------------------------------------------

def test_an_admin_cannot_attach_another_projects_group(api):
    theirs = group_id(api, {'interactive_timeout': 200}, project=OTHER_PROJECT)
    instance_id = create_instance(api)
    resp = api.request('PUT', '/instances/%s' % instance_id,
                       body={'instance': {'configuration': theirs}}, **ADMIN)
    assert resp.status_code == 404, resp.body
    assert theirs in message(resp) and "instance's project" in message(resp)
    assert FakeGuest.calls == [] and 'configuration' not in shown(api, instance_id)
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': theirs}},
        **ADMIN)
    assert resp.status_code == 404 and theirs in message(resp)
    assert len(api.get('/instances').json_body_or_none['instances']) == 1


def test_a_group_counts_holds_and_lists_only_its_own_projects_instances(api):
    theirs = group_id(api, {'interactive_timeout': 200}, project=OTHER_PROJECT)
    ours = create_instance(api)
    with session_scope() as session:     # as an older row or a bug might have it
        session.get(m.Instance, ours).configuration_id = theirs
    path = '/configurations/%s' % theirs
    group = api.get(path, project=OTHER_PROJECT).json_body_or_none['configuration']
    assert group['instance_count'] == 0
    listed = api.get(path + '/instances', project=OTHER_PROJECT, **ADMIN).json_body_or_none
    assert listed['instances'] == []
    assert api.request('DELETE', path, project=OTHER_PROJECT).status_code == 202


def test_delete_names_at_most_five_instances_and_counts_them_all(api):
    configuration_id = group_id(api, {})
    ids = sorted(create_instance(api, configuration=configuration_id, active=False)
                 for _ in range(7))
    resp = api.request('DELETE', '/configurations/%s' % configuration_id)
    assert resp.status_code == 409
    assert '7 instance(s)' in message(resp) and ', '.join(ids[:5]) + ', ...' in message(resp)
    assert ids[5] not in message(resp)


# -- live changes against restarts, resizes and backups ---------------------------------

def _claim(instance_id, seconds=300):
    with session_scope() as session:
        session.get(m.Instance, instance_id).access_change_until = (
            models.utcnow() + datetime.timedelta(seconds=seconds))


@pytest.mark.parametrize('body', [
    {'restart': {}}, {'resize': {'volume': {'size': 2}}}, {'resize': {'flavorRef': '3'}}])
def test_restart_and_resizes_wait_for_a_live_change(api, body):
    instance_id = create_instance(api)
    _claim(instance_id)
    resp = api.request('POST', '/instances/%s/action' % instance_id, body=body)
    assert resp.status_code == 409, resp.body
    assert 'configuration change' in message(resp)
    assert shown(api, instance_id)['status'] == 'ACTIVE'
    assert [c[0] for c in controller.Instances.taskmanager.casts] == ['create_instance']
    _claim(instance_id, seconds=-1)      # a lapsed claim holds nothing
    resp = api.request('POST', '/instances/%s/action' % instance_id, body=body)
    assert resp.status_code == 202, resp.body


def test_a_backup_waits_for_a_live_change(api, catalogue):
    catalogue.upsert_datastore_version(
        'mariadb', '10.11', '10.11.19', 'mariadb', '/usr/sbin',
        capabilities='access,backups,configuration,databases,root,users')
    instance_id = create_instance(api)
    _claim(instance_id)
    resp = api.request('POST', '/backups', body={'backup': {'name': 'b',
                                                            'instance': instance_id}})
    assert resp.status_code == 409, resp.body
    assert 'configuration change' in message(resp)
    assert shown(api, instance_id)['status'] == 'ACTIVE'


def test_a_live_change_waits_for_a_restart(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    assert api.request('POST', '/instances/%s/action' % instance_id,
                       body={'restart': {}}).status_code == 202
    resp = attach(api, instance_id, configuration_id)
    assert resp.status_code == 409 and 'REBOOT' in message(resp)


def test_a_resize_is_checked_against_the_group_again_under_the_lock(api, monkeypatch):
    configuration_id = group_id(api, {'innodb_buffer_pool_size': 128 * MIB})
    instance_id = create_instance(api, flavor='3', configuration=configuration_id)
    checked = instances.check_flavor_resize

    def group_grows_meanwhile(view, ref):
        flavor = checked(view, ref)
        with session_scope() as session:
            session.get(mc.Configuration, configuration_id).values = json.dumps(
                {'innodb_buffer_pool_size': 768 * MIB})
        return flavor
    monkeypatch.setattr(controller.instances, 'check_flavor_resize', group_grows_meanwhile)
    resp = api.request('POST', '/instances/%s/action' % instance_id,
                       body={'resize': {'flavorRef': '2'}})
    assert resp.status_code == 400, resp.body
    assert '512 MB of RAM' in message(resp) and 'innodb_buffer_pool_size' in message(resp)
    assert shown(api, instance_id)['status'] == 'ACTIVE'
    assert not [c for c in controller.Instances.taskmanager.casts if c[0] == 'resize_flavor']


def test_create_locks_the_group_it_attaches(api, monkeypatch):
    configuration_id = group_id(api, {})
    loads = []
    load = configurations.load

    def spy(ctx, wanted, session, lock=False):
        loads.append(lock)
        return load(ctx, wanted, session, lock=lock)
    monkeypatch.setattr(configurations, 'load', spy)
    create_instance(api, configuration=configuration_id, active=False)
    assert loads == [True]


def test_access_and_configuration_in_one_update_are_refused(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    resp = api.request('PUT', '/instances/%s' % instance_id, body={'instance': {
        'access': {'is_public': True}, 'configuration': configuration_id}})
    assert resp.status_code == 400
    assert 'separate requests' in message(resp)
    assert FakeGuest.calls == [] and 'configuration' not in shown(api, instance_id)


def test_a_group_change_locks_its_instances_in_one_query(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    ids = [create_instance(api) for _ in range(3)]
    for instance_id in ids:
        assert attach(api, instance_id, configuration_id).status_code == 202
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db_session.get_factory().kw['bind']
    event.listen(engine, 'before_cursor_execute', listener)
    try:
        assert _patch(api, configuration_id, {'wait_timeout': 90}).status_code == 200
    finally:
        event.remove(engine, 'before_cursor_execute', listener)
    reads = [s for s in statements if s.lstrip().upper().startswith('SELECT') and
             'FROM instances' in s and 'count' not in s.lower()]
    # The claim reads them all at once, the record locks them all at once, and the record
    # compares them with the group's attached ids: three reads for any number of instances.
    assert 1 <= len(reads) <= 3, reads
    assert any("FOR UPDATE" in s for s in reads) or engine.dialect.name == "sqlite"


# -- hostile input ------------------------------------------------------------------

@pytest.mark.parametrize('method', ['POST', 'PATCH'])
@pytest.mark.parametrize('number', [10 ** 400, 10 ** 309, -10 ** 309])
def test_numbers_beyond_a_float_are_a_400_naming_the_parameter(api, method, number):
    raw = '{"configuration": {"name": "g", "values": {"long_query_time": %d}, ' \
          '"datastore": {"type": "mariadb", "version": "10.11"}}}' % number
    if method == 'POST':
        resp = api.request('POST', '/configurations', raw=raw)
    else:
        raw = '{"configuration": {"values": {"long_query_time": %d}}}' % number
        resp = api.request('PATCH', '/configurations/%s' % group_id(api, {}), raw=raw)
    assert resp.status_code == 400, resp.body
    assert "'configuration.values.long_query_time'" in message(resp)
    assert 'out of range' in message(resp)


@pytest.mark.parametrize('raw, where', [
    ('{"configuration": {"name": "\\ud800", "values": {}}}', "'configuration.name'"),
    ('{"configuration": {"name": "g", "description": "a\\udfffb", "values": {}}}',
     "'configuration.description'"),
    ('{"configuration": {"name": "g", "values": {"sql_mode": "\\ud800"}}}',
     "'configuration.values.sql_mode'"),
    ('{"configuration": {"name": "g", "values": {"\\ud800": 1}}}',
     "in 'configuration.values'"),
    ('["\\ud800"]', "'[0]'"),
    ('"\\ud800"', 'The request body'),
])
def test_text_that_is_not_unicode_is_a_400_naming_the_field(api, raw, where):
    resp = api.request('POST', '/configurations', raw=raw)
    assert resp.status_code == 400, resp.body
    assert where in message(resp) and 'not valid Unicode' in message(resp)
    assert api.get('/configurations').json_body_or_none['configurations'] == []


def test_text_that_is_not_unicode_is_refused_on_every_route(api):
    instance_id = create_instance(api)
    resp = api.request('PUT', '/instances/%s' % instance_id,
                       raw='{"instance": {"name": "db\\ud83d"}}')
    assert resp.status_code == 400 and "'instance.name'" in message(resp)
    configuration_id = group_id(api, {'sql_mode': 'STRICT_ALL_TABLES'})
    resp = api.request('PATCH', '/configurations/%s' % configuration_id,
                       raw='{"configuration": {"values": {"sql_mode": "\\udc00"}}}')
    assert resp.status_code == 400 and 'sql_mode' in message(resp)
    assert values_of(api, configuration_id) == {'sql_mode': 'STRICT_ALL_TABLES'}


def test_a_valid_surrogate_pair_is_plain_unicode(api):
    resp = api.request('POST', '/configurations', raw=json.dumps({'configuration': {
        'name': 'g \U0001F600', 'values': {},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}}))
    assert resp.status_code == 200, resp.body
    assert resp.json_body_or_none['configuration']['name'] == 'g \U0001F600'


# -- names the guest keeps ------------------------------------------------------------

def _version_id(api, datastore, version):
    return api.get('/datastores/%s/versions/%s' % (datastore, version)).json_body_or_none[
        'version']['id']


@pytest.mark.parametrize('datastore, version, name', [
    ('postgresql', '15', 'include_dir'), ('postgresql', '15', 'include_if_exists'),
    ('postgresql', '15', 'archive_cleanup_command'), ('postgresql', '15', 'restore_command'),
    ('postgresql', '15', 'recovery_end_command'), ('postgresql', '15', 'jit_provider'),
    ('postgresql', '15', 'ssl_passphrase_command'), ('postgresql', '15', 'ssl_crl_file'),
    ('postgresql', '15', 'ssl_dh_params_file'), ('postgresql', '15', 'dynamic_library_path'),
    ('postgresql', '15', 'session_preload_libraries'),
    ('mariadb', '10.11', 'extra_port'), ('mariadb', '10.11', 'skip_name_resolve'),
    ('mariadb', '10.11', 'ssl_cipher'), ('mariadb', '10.11', 'ssl'),
    ('mariadb', '10.11', 'plugin_maturity'), ('mariadb', '10.11', 'init_file'),
    ('mariadb', '10.11', 'general_log_file'), ('mariadb', '10.11', 'secure_file_priv'),
    ('mariadb', '10.11', 'tmpdir'), ('mariadb', '10.11', 'user'),
    ('mariadb', '10.11', 'loose_plugin_load'), ('mariadb', '10.11', 'loose-sql-mode'),
    ('mariadb', '10.11', 'skip-grant-tables'), ('mariadb', '10.11', 'enable_named_pipe'),
    ('mariadb', '10.11', 'disable-log-bin'), ('mariadb', '10.11', 'maximum_max_connections'),
    ('mariadb', '10.11', 'max-connections'), ('mariadb', '10.11', 'Init_Connect'),
])
def test_admins_cannot_create_names_the_guest_keeps(api, datastore, version, name):
    resp = api.request('POST', '/mgmt/datastores/versions/%s/parameters'
                       % _version_id(api, datastore, version), body={
                           'configuration-parameter': {'name': name, 'data_type': 'string',
                                                       'restart_required': 0}}, **ADMIN)
    assert resp.status_code == 400, resp.body
    assert name in message(resp) and 'guest agent' in message(resp)


def test_mariadb_option_forms_are_denied_but_other_engines_keep_their_names():
    from api_service.domain import parameters
    assert parameters.is_denied('mariadb', 'skip-networking')
    assert parameters.is_denied('mariadb', 'max-connections')
    assert not parameters.is_denied('mariadb', 'max_connections')
    assert not parameters.is_denied('postgresql', 'enable_seqscan')
    assert not parameters.is_denied('postgresql', 'ssl_ciphers')
    assert not parameters.is_denied('redis', 'maxmemory-policy')
    assert PROJECT != OTHER_PROJECT
