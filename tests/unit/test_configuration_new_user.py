"""Configuration groups as a new user met them (issue #10): the flavor check against what the
instance runs with anyway, fixed-choice values, a group named by its name at create, messages
in the user's words, and the instances' events."""
import pytest
from sqlalchemy import event

from api_service.common import exceptions
from api_service.db import session as db_session
from api_service.domain import configurations
from tests.unit.test_configurations_api import (  # noqa: F401 - `api` is a fixture
    MIB, FakeGuest, api, attach, create_group, create_instance, group_id, message, shown,
    values_of)


def _refused(ram_mb, manager, values):
    with pytest.raises(exceptions.BadRequest) as caught:
        configurations.check_fits(ram_mb, manager, values)
    return caught.value.message


# -- the flavor check: never refused for asking no more than the defaults ----------------

@pytest.mark.parametrize('manager, values', [
    ('mariadb', {'max_connections': 100}),                  # the base config's own value
    ('mariadb', {'sort_buffer_size': 2 * MIB}),             # the engine's default
    ('mariadb', {'max_connections': 50, 'join_buffer_size': 256 * 1024}),
    ('mariadb', {'innodb_buffer_pool_size': 200 * MIB}),    # fits the RAM by itself
    ('postgresql', {'max_connections': 100, 'work_mem': 4096}),
    ('postgresql', {'max_connections': 50, 'work_mem': 8192}),
    ('redis', {'maxmemory': 128 * MIB}),
])
def test_values_the_instance_runs_with_anyway_fit_a_tiny_flavor(manager, values):
    configurations.check_fits(256, manager, values)


@pytest.mark.parametrize('manager, values, names', [
    ('mariadb', {'innodb_buffer_pool_size': 1024 * MIB}, 'innodb_buffer_pool_size'),
    ('mariadb', {'sort_buffer_size': 16 * MIB}, 'sort_buffer_size'),
    ('mariadb', {'max_connections': 1000}, 'max_connections'),
    ('postgresql', {'shared_buffers': 1024 * 128}, 'shared_buffers'),
    ('postgresql', {'max_connections': 50, 'work_mem': 16 * 1024}, 'max_connections, work_mem'),
    ('redis', {'maxmemory': 1024 * MIB}, 'maxmemory'),
])
def test_clearly_larger_values_are_still_refused(manager, values, names):
    refusal = _refused(256, manager, values)
    assert '256 MB of RAM' in refusal and names in refusal and 'larger flavor' in refusal


def test_a_refusal_on_a_small_flavor_says_what_the_defaults_need():
    refusal = _refused(256, 'mariadb', {'max_connections': 200})
    assert 'default values need (about 491 MB)' in refusal
    # A group over the RAM on a flavor whose defaults fit it: the plain sentence.
    refusal = _refused(512, 'redis', {'maxmemory': 600 * MIB})
    assert 'about 600 MB' in refusal and 'default' not in refusal


def test_a_pool_larger_than_the_ram_is_refused_even_below_the_defaults_worst_case():
    # 600 MiB is less than the defaults' worst case on 512 MB (619 MB), but the pool alone
    # is above the RAM and more than the guest's own 256 MiB pool.
    assert '512 MB of RAM' in _refused(512, 'mariadb', {'innodb_buffer_pool_size': 600 * MIB})


@pytest.mark.parametrize('manager, module, name, ram_mb', [
    ('mariadb', 'mariadb', 'MariaDBManager', 256), ('mariadb', 'mariadb', 'MariaDBManager', 48),
    ('postgresql', 'postgresql', 'PostgreSQLManager', 1024),
    ('redis', 'redis', 'RedisManager', 256), ('redis', 'redis', 'RedisManager', 16),
])
def test_the_defaults_are_the_guests_formulas(manager, module, name, ram_mb):
    from api_service.guestagent.datastore import get_manager_class
    expected = get_manager_class(manager).memory_setting_bytes(ram_mb)
    defaults = configurations.default_values(ram_mb, manager)
    main = {'mariadb': ('innodb_buffer_pool_size', 1), 'postgresql': ('shared_buffers', 8192),
            'redis': ('maxmemory', 1)}[manager]
    assert defaults[main[0]] * main[1] == expected


def test_the_issues_group_attaches_to_a_tiny_instance(api):
    configuration_id = group_id(api, {'max_connections': 100})
    instance_id = create_instance(api, flavor='1')
    assert attach(api, instance_id, configuration_id).status_code == 202
    assert create_instance(api, flavor='1', configuration=configuration_id, active=False)


# -- fixed choices ------------------------------------------------------------------------

@pytest.mark.parametrize('datastore, version, name, value, shown_choices', [
    ('mariadb', '10.11', 'character_set_server', 'klingon', 'armscii8, ascii'),
    ('mariadb', '10.11', 'collation_server', 'utf8mb4_unicod_ci', 'nearest: utf8mb4_unicode_ci'),
    ('mariadb', '10.11', 'query_cache_type', 'sometimes', 'OFF, ON, DEMAND'),
    ('mariadb', '10.11', 'sql_mode', 'STRICT_ALL_TABLES,BANANA', 'STRICT_ALL_TABLES'),
    ('postgresql', '15', 'log_statement', 'banana', 'none, ddl, mod, all'),
    ('redis', '7.0', 'maxmemory-policy', 'every tuesday', 'allkeys-lru'),
])
def test_a_value_outside_the_engines_choices_is_a_400_listing_them(
        api, datastore, version, name, value, shown_choices):
    resp = create_group(api, {name: value}, datastore=datastore, version=version)
    assert resp.status_code == 400, resp.body
    text = message(resp)
    assert "'%s'" % name in text and shown_choices in text and value in text


def test_a_long_list_of_choices_is_cut_short():
    param = configurations.parameters.Parameter('collation_server', 'string', None, None,
                                                False, None, 'v')
    allowed = ['c%d' % i for i in range(300)]
    with pytest.raises(exceptions.BadRequest) as caught:
        configurations._choice(param, 'nope', (allowed, False))
    assert 'c19, ... (280 more); not "nope"' in caught.value.message
    assert 'c20' not in caught.value.message


@pytest.mark.parametrize('datastore, version, values, stored', [
    ('mariadb', '10.11', {'character_set_server': 'UTF8MB4'}, {'character_set_server': 'utf8mb4'}),
    ('mariadb', '10.11', {'character_set_server': 'utf8'}, {'character_set_server': 'utf8'}),
    ('mariadb', '10.11', {'sql_mode': 'strict_all_tables, traditional'},
     {'sql_mode': 'STRICT_ALL_TABLES,TRADITIONAL'}),
    ('mariadb', '10.11', {'sql_mode': ''}, {'sql_mode': ''}),
    ('postgresql', '15', {'log_statement': 'DDL'}, {'log_statement': 'ddl'}),
    ('postgresql', '15', {'synchronous_commit': 'true'}, {'synchronous_commit': 'on'}),
    ('postgresql', '15', {'default_transaction_isolation': 'Read Committed'},
     {'default_transaction_isolation': 'read committed'}),
    ('redis', '7.0', {'maxmemory-policy': 'ALLKEYS-LRU', 'appendfsync': 'everysec'},
     {'maxmemory-policy': 'allkeys-lru', 'appendfsync': 'everysec'}),
])
def test_choices_are_taken_in_any_case_and_stored_as_the_engine_spells_them(
        api, datastore, version, values, stored):
    resp = create_group(api, values, datastore=datastore, version=version)
    assert resp.status_code == 200, resp.body
    assert resp.json_body_or_none['configuration']['values'] == stored


def test_an_operators_own_string_parameter_takes_any_text(api):
    version = api.get('/datastores/mariadb/versions/10.11').json_body_or_none['version']
    resp = api.request('POST', '/mgmt/datastores/versions/%s/parameters' % version['id'],
                       body={'configuration-parameter': {
                           'name': 'optimizer_switch', 'data_type': 'string',
                           'restart_required': 0}}, roles='admin')
    assert resp.status_code == 200, resp.body
    assert group_id(api, {'optimizer_switch': 'index_merge=off'})


# -- a group named by its name at create ----------------------------------------------------

def test_create_takes_the_group_by_its_name(api):
    configuration_id = group_id(api, {'interactive_timeout': 200}, name='maria-small')
    instance_id = create_instance(api, configuration='maria-small', active=False)
    assert shown(api, instance_id)['configuration']['id'] == configuration_id


@pytest.mark.parametrize('name', ['twin', 'nobody', 'Maria-Small'])
def test_a_name_no_group_or_several_groups_have_is_a_404(api, name):
    group_id(api, {}, name='twin')
    group_id(api, {}, name='twin')
    group_id(api, {}, name='maria-small')
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': name}})
    assert resp.status_code == 404, resp.body
    assert message(resp) == ("Configuration group '%s' cannot be found: give its ID or a name "
                             'that only one group has.' % name)
    assert api.get('/instances').json_body_or_none['instances'] == []


def test_another_projects_group_name_is_not_found(api):
    from tests.unit.conftest import OTHER_PROJECT
    group_id(api, {}, name='theirs', project=OTHER_PROJECT)
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': 'theirs'}})
    assert resp.status_code == 404 and 'theirs' in message(resp)


def test_a_name_longer_than_a_groups_is_a_400(api):
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'x', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}, 'configuration': 'n' * 256}})
    assert resp.status_code == 400 and 'configuration' in message(resp)


# -- messages --------------------------------------------------------------------------

@pytest.mark.parametrize('datastore, version, name', [
    ('mariadb', '10.11', 'port'), ('mariadb', '10.11', 'datadir'),
    ('postgresql', '15', 'listen_addresses'), ('redis', '7.0', 'requirepass'),
])
def test_names_the_guest_controls_are_set_by_the_service(api, datastore, version, name):
    resp = create_group(api, {name: 'x'}, datastore=datastore, version=version)
    assert resp.status_code == 400, resp.body
    assert message(resp) == ("Configuration parameter '%s' is set by the service itself and "
                             'cannot be configured.' % name)


@pytest.mark.parametrize('raw_value', ['1e400', '-1e400', '"1e400"'])
@pytest.mark.parametrize('name', ['long_query_time', 'max_connections'])
def test_a_number_beyond_a_float_is_too_large_not_infinity(api, raw_value, name):
    raw = ('{"configuration": {"name": "g", "values": {"%s": %s}, '
           '"datastore": {"type": "mariadb", "version": "10.11"}}}' % (name, raw_value))
    resp = api.request('POST', '/configurations', raw=raw)
    assert resp.status_code == 400, resp.body
    text = message(resp)
    # The JSON guard names the field by its path; the domain, the parameter.
    assert "'%s'" % name in text or "'configuration.values.%s'" % name in text
    assert 'Infinity' not in text and 'inf' not in text.lower()
    # Text that is no integer is refused as such, every other form as too large.
    assert 'too large' in text or (name, raw_value) == ('max_connections', '"1e400"')


def test_refusals_name_the_instance_by_name_and_id(api):
    configuration_id = group_id(api, {'interactive_timeout': 200}, name='tuned')
    resp = api.request('POST', '/instances', body={'instance': {
        'name': 'shop-db', 'flavorRef': '2', 'volume': {'size': 1},
        'datastore': {'type': 'mariadb', 'version': '10.11'}}})
    instance_id = resp.json_body_or_none['instance']['id']
    resp = attach(api, instance_id, configuration_id)      # still BUILD
    assert resp.status_code == 409
    assert "instance 'shop-db' (id %s)" % instance_id in message(resp)
    from tests.unit.test_configurations_api import set_status
    set_status(instance_id, 'ACTIVE')
    FakeGuest.refuse[instance_id] = exceptions.BadRequest('MariaDB refused it.')
    resp = attach(api, instance_id, configuration_id)
    assert resp.status_code == 400
    assert "instance 'shop-db' (id %s)" % instance_id in message(resp)
    FakeGuest.refuse = {}
    assert attach(api, instance_id, configuration_id).status_code == 202
    big = {'innodb_buffer_pool_size': 1024 * MIB}
    resp = api.request('PATCH', '/configurations/%s' % configuration_id,
                       body={'configuration': {'values': big}})
    assert resp.status_code == 400
    assert "on instance 'shop-db' (id %s)" % instance_id in message(resp)
    resp = attach(api, instance_id, group_id(api, {}, name='other'))
    assert resp.status_code == 400
    assert "Instance 'shop-db' (id %s) already has configuration group 'tuned'" % (
        instance_id) in message(resp)


# -- events ------------------------------------------------------------------------------

def _configuration_events(api, instance_id):
    return [(e['operation'], e['name'], e['outcome'], e['message'])
            for e in api.get('/instances/%s/events' % instance_id).json_body_or_none['events']
            if e['operation'] == 'configuration']


def test_attach_new_values_and_detach_are_in_each_instances_events(api):
    configuration_id = group_id(api, {'interactive_timeout': 200}, name='tuned')
    first, second = create_instance(api), create_instance(api)
    for instance_id in (first, second):
        assert attach(api, instance_id, configuration_id).status_code == 202
    FakeGuest.pending[second] = ['innodb_log_buffer_size']
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    engine = db_session.get_factory().kw['bind']
    event.listen(engine, 'before_cursor_execute', listener)
    try:
        resp = api.request('PATCH', '/configurations/%s' % configuration_id, body={
            'configuration': {'values': {'innodb_log_buffer_size': 32 * MIB}}})
    finally:
        event.remove(engine, 'before_cursor_execute', listener)
    assert resp.status_code == 200, resp.body
    inserts = [s for s in statements if 'INSERT INTO instance_events' in s]
    assert len(inserts) == 1, [s[:80] for s in statements if 'INSERT' in s]  # for both
    FakeGuest.pending[second] = []
    assert attach(api, second, None).status_code == 202
    assert _configuration_events(api, first) == [
        ('configuration', 'attach', 'SUCCESS', "Configuration group 'tuned' attached."),
        ('configuration', 'apply values', 'SUCCESS',
         "New values of configuration group 'tuned' applied.")]
    assert _configuration_events(api, second) == [
        ('configuration', 'attach', 'SUCCESS', "Configuration group 'tuned' attached."),
        ('configuration', 'apply values', 'SUCCESS',
         "New values of configuration group 'tuned' applied; waiting for a restart: "
         'innodb_log_buffer_size.'),
        ('configuration', 'detach', 'SUCCESS', "Configuration group 'tuned' detached.")]


def test_a_refused_change_records_no_event(api):
    configuration_id = group_id(api, {'interactive_timeout': 200})
    instance_id = create_instance(api)
    FakeGuest.refuse[instance_id] = exceptions.BadRequest('MariaDB refused it.')
    assert attach(api, instance_id, configuration_id).status_code == 400
    assert _configuration_events(api, instance_id) == []
    assert values_of(api, configuration_id) == {'interactive_timeout': 200}
