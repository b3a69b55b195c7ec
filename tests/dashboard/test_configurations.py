"""Configuration groups: the panel (list, create, values, edit, delete), attach and detach on
instances, an instance's Configuration tab, and the RESTART_REQUIRED status."""
import copy
import html
import re
from unittest import mock

from django.urls import reverse
from troveclient.v1 import configurations

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard.content.database_configurations import parameters as params
from trove_dashboard.content.database_configurations import units

I = helpers.INSTANCE_ID
GROUP_ID = helpers.uuid_for('configuration-web')
INDEX_URL = reverse('horizon:project:database_configurations:index')
CREATE_URL = reverse('horizon:project:database_configurations:create')
DETAIL_URL = reverse('horizon:project:database_configurations:detail', args=[GROUP_ID])
EDIT_URL = reverse('horizon:project:database_configurations:edit_values', args=[GROUP_ID])
EDIT_GROUP_URL = reverse('horizon:project:database_configurations:edit', args=[GROUP_ID])
INSTANCES_URL = reverse('horizon:project:databases:index')
INSTANCE_URL = reverse('horizon:project:databases:detail', args=[I])
ATTACH_URL = reverse('horizon:project:databases:attach_configuration', args=[I])
CONFIG_CAPS = ['access', 'configuration', 'databases', 'root', 'users']


def datastore_list():
    """MariaDB takes configuration groups; Redis does not."""
    found = helpers.datastore_list()
    found[0].versions[0]['capabilities'] = list(CONFIG_CAPS)
    return found


def group(label='web', values=None, version_id=helpers.MARIADB_1011, **extra):
    body = {'id': helpers.uuid_for('configuration-' + label), 'name': label,
            'description': 'for the web shop', 'datastore_name': 'mariadb',
            'datastore_version_id': version_id, 'datastore_version_name': '10.11',
            'created': '2026-11-22T01:00:00', 'updated': '2026-11-22T01:05:00',
            'values': {'max_connections': 200, 'innodb_flush_method': 'O_DIRECT',
                       'log_bin_trust_function_creators': True} if values is None else values,
            'links': []}
    body.update(extra)
    return configurations.Configuration(configurations.Configurations(None),
                                        copy.deepcopy(body), loaded=True)


def parameter(name, kind, restart=False, low=None, high=None, unit=None):
    body = {'name': name, 'type': kind, 'restart_required': restart,
            'datastore_version_id': helpers.MARIADB_1011}
    if low is not None:
        body.update(min=low, max=high)
    if unit:
        body['unit'] = unit
    return configurations.ConfigurationParameter(
        configurations.ConfigurationParameters(None), body, loaded=True)


def parameter_list():
    return [parameter('max_connections', 'integer', low=10, high=100000),
            parameter('innodb_flush_method', 'string', restart=True),
            parameter('log_bin_trust_function_creators', 'boolean'),
            parameter('innodb_log_file_size', 'integer', restart=True, low=4194304,
                      high=549755813888, unit='B'),
            parameter('long_query_time', 'float', low=0, high=31536000)]


def value_field(name):
    return 'value_' + params.key(name)


def add_field(name):
    return 'add_' + params.key(name)


def page(res):
    return html.unescape(res.content.decode())


class PanelTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('configuration_list_page',)})
    def test_index_lists_groups_with_their_datastore_in_one_call(self):
        self.mock_configuration_list_page.return_value = ([group('web'), group('reports')], None)
        res = self.client.get(INDEX_URL)
        self.assertTemplateUsed(res, 'project/database_configurations/index.html')
        text = page(res)
        for expected in ('web', 'reports', 'mariadb 10.11', 'for the web shop'):
            self.assertIn(expected, text)
        self.assertEqual(1, self.mock_configuration_list_page.call_count)

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_create_offers_only_versions_that_take_groups(self):
        self.mock_datastore_list.return_value = datastore_list()
        form = self.client.get(CREATE_URL).context['form']
        offered = [ref for _ds, versions in form.fields['datastore_version'].choices
                   for ref, _label in versions]
        self.assertEqual([helpers.MARIADB_REF], offered)

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_create_dialog_can_be_cancelled(self):
        self.mock_datastore_list.return_value = datastore_list()
        res = self.client.get(CREATE_URL, HTTP_X_REQUESTED_WITH='XMLHttpRequest')
        text = res.content.decode()
        self.assertTrue(re.search(r'<a href="%s"\s+class="btn btn-default cancel">\s*Cancel'
                                  % re.escape(INDEX_URL), text), text)

    @helpers.create_mocks({trove: ('datastore_list', 'configuration_create')})
    def test_create_sends_names_and_goes_on_to_its_values(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_configuration_create.return_value = group('web', values={})
        res = self.client.post(CREATE_URL, {'name': 'web', 'description': '',
                                            'datastore_version': helpers.MARIADB_REF})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, EDIT_URL)
        self.mock_configuration_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'web', {}, 'mariadb', '10.11', description=None)

    @helpers.create_mocks({trove: ('datastore_list', 'configuration_create')})
    def test_the_apis_refusal_of_create_is_on_its_field(self):
        self.mock_datastore_list.return_value = datastore_list()
        message = "Datastore version 'mariadb 10.11' takes no configuration groups."
        self.mock_configuration_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(CREATE_URL, {'name': 'web',
                                            'datastore_version': helpers.MARIADB_REF})
        self.assertEqual([message], res.context['form'].errors['datastore_version'])

        message = 'The name must be at most 255 characters.'
        self.mock_configuration_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(CREATE_URL, {'name': 'web',
                                            'datastore_version': helpers.MARIADB_REF})
        self.assertEqual([message], res.context['form'].errors['name'])


class DetailTests(helpers.TestCase):

    def mock_group(self, configuration=None):
        self.mock_configuration_get.return_value = configuration or group()
        self.mock_parameters_by_version.return_value = parameter_list()

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version')})
    def test_values_show_type_range_unit_and_restart_in_two_calls(self):
        self.mock_group(group(values={'max_connections': 200, 'innodb_log_file_size': 8388608,
                                      'log_bin_trust_function_creators': True}))
        res = self.client.get(DETAIL_URL)
        rows = {r.name: r for r in res.context['values_table'].data}
        self.assertEqual(['innodb_log_file_size', 'log_bin_trust_function_creators',
                          'max_connections'], sorted(rows))
        self.assertEqual('integer', rows['max_connections'].type)
        self.assertEqual('10 to 100000', str(rows['max_connections'].range))
        self.assertEqual('B', rows['innodb_log_file_size'].unit)
        self.assertTrue(rows['innodb_log_file_size'].restart_required)
        self.assertFalse(rows['max_connections'].restart_required)
        text = page(res)
        self.assertIn('restart-flag', text)
        self.assertIn('4194304 to 549755813888', text)
        self.assertTrue(re.search(r'>\s*On\s*<', text))     # the boolean, in words
        self.mock_configuration_get.assert_called_once_with(helpers.IsHttpRequest(), GROUP_ID)
        self.mock_parameters_by_version.assert_called_once_with(helpers.IsHttpRequest(),
                                                                helpers.MARIADB_1011)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_instances')})
    def test_instances_tab_links_to_each_instance(self):
        self.mock_group()
        self.mock_configuration_instances.return_value = [
            helpers.instance(name='shop-db')]
        res = self.client.get(DETAIL_URL, {'tab': 'configuration_details__instances'})
        self.assertIn('href="%s"' % INSTANCE_URL, res.content.decode())
        self.assertIn('shop-db', page(res))

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_instances', 'instance_detach_configuration')})
    def test_detach_from_the_instances_tab(self):
        self.mock_group()
        self.mock_configuration_instances.return_value = [helpers.instance(name='shop-db')]
        url = DETAIL_URL + '?tab=configuration_details__instances'
        res = self.client.post(url, {'action': 'configuration_instances__detach__%s' % I})
        self.assertEqual(302, res.status_code)
        self.mock_instance_detach_configuration.assert_called_once_with(
            helpers.IsHttpRequest(), I)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version')})
    def test_edit_form_has_typed_inputs_and_the_parameters_to_add(self):
        self.mock_group()
        res = self.client.get(EDIT_URL)
        form = res.context['form']
        text = res.content.decode()
        self.assertEqual('checkbox', form.fields[value_field(
            'log_bin_trust_function_creators')].widget.input_type)
        connections = form.fields[value_field('max_connections')].widget.attrs
        self.assertEqual(('10', '100000'), (str(connections['min']), str(connections['max'])))
        self.assertEqual('text', form.fields[value_field('innodb_flush_method')].widget.input_type)
        self.assertIn('takes effect after a restart',
                      str(form.fields[value_field('innodb_flush_method')].help_text))
        added = dict(form.fields['add_parameter'].choices)
        self.assertEqual({'', params.key('innodb_log_file_size'),
                          params.key('long_query_time')}, set(added))
        self.assertEqual('any', form.fields[add_field('long_query_time')].widget.attrs['step'])
        self.assertIn('type="number"', text)
        self.assertIn('data-add_parameter-%s' % params.key('long_query_time'), text)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version')})
    def test_edit_values_page_names_the_group_once_and_can_be_cancelled(self):
        self.mock_group()
        text = page(self.client.get(EDIT_URL))
        self.assertEqual(1, text.count('Edit Values of "web"</h1>'))
        self.assertNotIn('<h3 class="modal-title">Edit', text)
        self.assertIn('<title>Edit Values of "web"', text)
        self.assertIn('href="%s"' % DETAIL_URL, text)      # the breadcrumb and Cancel
        self.assertIn('btn btn-default cancel', text)
        modal = page(self.client.get(EDIT_URL, HTTP_X_REQUESTED_WITH='XMLHttpRequest'))
        self.assertIn('Edit Values of "web"', modal)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version')})
    def test_number_inputs_show_their_unit(self):
        self.mock_group(group(values={'innodb_log_file_size': 8388608}))
        self.mock_parameters_by_version.return_value = parameter_list() + [
            parameter('shared_buffers', 'integer', restart=True, low=16, high=1073741823,
                      unit='8kB')]
        text = page(self.client.get(EDIT_URL))
        self.assertTrue(re.search(r'name="%s"[^>]*>\s*<span class="input-group-addon '
                                  r'parameter-unit">B</span>'
                                  % value_field('innodb_log_file_size'), text), text)
        self.assertIn('parameter-unit">× 8kB</span>', text)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version')})
    def test_values_fit_a_phone(self):
        self.mock_group(group(values={'innodb_log_file_size': 8388608, 'max_connections': 200}))
        res = self.client.get(DETAIL_URL)
        table = res.context['values_table']
        columns = {c.name: c for c in table.columns.values()}
        for hidden in ('value', 'type', 'restart', 'range', 'unit'):
            self.assertIn('hidden-xs', columns[hidden].classes, hidden)
        text = page(res)
        # On a phone the value (with its unit) and when it takes effect go under the name.
        self.assertTrue(re.search(
            r'innodb_<wbr>log_<wbr>file_<wbr>size</span><div class="visible-xs-block '
            r'configuration-stacked"><div class="configuration-value">8388608 B \(8MB\)</div>'
            r'<div><span class="label label-warning restart-flag">Restart required', text),
            text)

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_edit')})
    def test_edit_sends_only_what_changed_and_the_added_value(self):
        self.mock_group()
        res = self.client.post(EDIT_URL, {
            value_field('max_connections'): '300',
            value_field('innodb_flush_method'): 'O_DIRECT',
            value_field('log_bin_trust_function_creators'): 'on',
            'add_parameter': params.key('innodb_log_file_size'),
            add_field('innodb_log_file_size'): '8388608'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, DETAIL_URL)
        self.mock_configuration_edit.assert_called_once_with(
            helpers.IsHttpRequest(), GROUP_ID,
            {'max_connections': 300, 'innodb_log_file_size': 8388608})

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_edit')})
    def test_out_of_range_is_refused_before_the_api(self):
        self.mock_group()
        res = self.client.post(EDIT_URL, {value_field('max_connections'): '5',
                                          value_field('innodb_flush_method'): 'O_DIRECT'})
        self.assertIn(value_field('max_connections'), res.context['form'].errors)
        self.mock_configuration_edit.assert_not_called()

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_edit')})
    def test_the_apis_refusal_is_on_the_parameter_it_names(self):
        self.mock_group()
        message = ("Instance 'shop-db': the engine refused innodb_log_file_size=8388608: "
                   "the value is not a multiple of 1 MB.")
        self.mock_configuration_edit.side_effect = helpers.api_error(400, message)
        res = self.client.post(EDIT_URL, {
            value_field('max_connections'): '200',
            value_field('innodb_flush_method'): 'O_DIRECT',
            'add_parameter': params.key('innodb_log_file_size'),
            add_field('innodb_log_file_size'): '8388608'})
        errors = res.context['form'].errors
        self.assertEqual([message], errors[add_field('innodb_log_file_size')])

        message = "max_connections=300 does not fit flavor db.tiny's 256 MB of RAM."
        self.mock_configuration_edit.side_effect = helpers.api_error(400, message)
        res = self.client.post(EDIT_URL, {value_field('max_connections'): '300',
                                          value_field('innodb_flush_method'): 'O_DIRECT'})
        self.assertEqual([message], res.context['form'].errors[value_field('max_connections')])

    @helpers.create_mocks({trove: ('configuration_get', 'parameters_by_version',
                                   'configuration_update')})
    def test_remove_value_puts_the_others(self):
        self.mock_group()
        res = self.client.post(DETAIL_URL, {'action': 'values__delete__max_connections'})
        self.assertRedirectsNoFollow(res, DETAIL_URL)
        self.mock_configuration_update.assert_called_once_with(
            helpers.IsHttpRequest(), GROUP_ID,
            {'innodb_flush_method': 'O_DIRECT', 'log_bin_trust_function_creators': True})

    @helpers.create_mocks({trove: ('configuration_list_page', 'configuration_delete')})
    def test_delete_refused_while_attached_shows_the_apis_message(self):
        web = group('web')
        self.mock_configuration_list_page.return_value = ([web], None)
        message = "Configuration group 'web' is attached to 1 instance (shop-db): detach it first."
        self.mock_configuration_delete.side_effect = helpers.api_error(400, message)
        res = self.client.post(INDEX_URL, {'action': 'configurations__delete__%s' % web.id})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        shown = [str(m) for m in res.wsgi_request._messages]
        self.assertEqual([message], shown)      # not followed by a generic "Unable to delete"

    @helpers.create_mocks({trove: ('configuration_get', 'configuration_rename')})
    def test_edit_group_changes_only_its_name_and_description(self):
        self.mock_configuration_get.return_value = group()
        form = self.client.get(EDIT_GROUP_URL).context['form']
        self.assertEqual(('web', 'for the web shop'), (form.fields['name'].initial,
                                                       form.fields['description'].initial))
        res = self.client.post(EDIT_GROUP_URL, {'name': 'shop', 'description': ''})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, DETAIL_URL)
        self.mock_configuration_rename.assert_called_once_with(
            helpers.IsHttpRequest(), GROUP_ID, 'shop', '')

        message = 'The name must be at most 255 characters.'
        self.mock_configuration_rename.side_effect = helpers.api_error(400, message)
        res = self.client.post(EDIT_GROUP_URL, {'name': 'shop', 'description': ''})
        self.assertEqual([message], res.context['form'].errors['name'])

    @helpers.create_mocks({trove: ('configuration_list_page', 'configuration_get',
                                   'parameters_by_version')})
    def test_edit_group_is_offered_on_the_list_and_the_groups_page(self):
        self.mock_configuration_list_page.return_value = ([group('web')], None)
        self.assertIn('href="%s"' % EDIT_GROUP_URL, self.client.get(INDEX_URL).content.decode())
        self.mock_configuration_get.return_value = group('web')
        self.mock_parameters_by_version.return_value = parameter_list()
        self.assertIn('href="%s"' % EDIT_GROUP_URL, self.client.get(DETAIL_URL).content.decode())

    def test_rename_puts_no_values(self):
        """The client's update() always sends values (applied again to every instance)."""
        with mock.patch.object(trove, 'troveclient') as troveclient:
            trove.configuration_rename(mock.sentinel.request, GROUP_ID, 'shop', '')
        troveclient.return_value.client.put.assert_called_once_with(
            '/configurations/%s' % GROUP_ID,
            body={'configuration': {'name': 'shop', 'description': None}})


LIST_CALLS = ('instance_list', 'flavor_list', 'datastore_list')


class InstanceTests(helpers.TestCase):

    def mock_list(self, *instances):
        self.mock_instance_list.return_value = (list(instances), None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = datastore_list()

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_attach_without_a_group_detach_with_one(self):
        attached = {'id': GROUP_ID, 'name': 'web', 'links': []}
        self.mock_list(helpers.named('plain'), helpers.named('tuned', configuration=attached),
                       helpers.named('redis', datastore='redis', version='7.0'),
                       helpers.named('building', 'BUILD'))
        table = self.client.get(INSTANCES_URL).context['table']
        actions = {r.datum.name: {a.name for a in table.get_row_actions(r.datum)}
                   for r in table.get_rows()}
        self.assertIn('attach_configuration', actions['plain'])
        self.assertNotIn('detach_configuration', actions['plain'])
        self.assertIn('detach_configuration', actions['tuned'])
        self.assertNotIn('attach_configuration', actions['tuned'])
        for other in ('redis', 'building'):     # no capability; not running
            self.assertFalse({'attach_configuration', 'detach_configuration'} &
                             actions[other])

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_restart_required_is_a_settled_warning_with_restart(self):
        self.mock_list(helpers.named('tuned', 'RESTART_REQUIRED'))
        res = self.client.get(INSTANCES_URL)
        table = res.context['table']
        row = table.get_rows()[0]
        self.assertNotIn('warning', row.classes)           # settled: the row does not poll
        self.assertIn('warning', ' '.join(row.cells['status'].get_default_classes()).split())
        self.assertIn('Restart Required', page(res))
        names = {a.name for a in table.get_row_actions(row.datum)}
        self.assertIn('restart', names)
        self.assertNotIn('backup', names)

    @helpers.create_mocks({trove: LIST_CALLS + ('instance_detach_configuration',)})
    def test_detach(self):
        tuned = helpers.instance(configuration={'id': GROUP_ID, 'name': 'web', 'links': []})
        self.mock_list(tuned)
        self.client.post(INSTANCES_URL, {'action': 'instances__detach_configuration__%s' % I})
        self.mock_instance_detach_configuration.assert_called_once_with(
            helpers.IsHttpRequest(), I)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'configuration_list')})
    def test_attach_offers_groups_of_the_instances_version(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_configuration_list.return_value = [
            group('web'), group('cache', version_id=helpers.REDIS_70)]
        form = self.client.get(ATTACH_URL).context['form']
        offered = dict(form.fields['configuration'].choices)
        self.assertIn(GROUP_ID, offered)
        self.assertNotIn(helpers.uuid_for('configuration-cache'), offered)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'configuration_list',
                                   'instance_attach_configuration')})
    def test_attach_and_its_refusal_on_the_field(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_configuration_list.return_value = [group('web')]
        res = self.client.post(ATTACH_URL, {'instance_id': I, 'configuration': GROUP_ID})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INSTANCES_URL)
        self.mock_instance_attach_configuration.assert_called_once_with(
            helpers.IsHttpRequest(), I, GROUP_ID)

        message = ("max_connections=200 does not fit instance 'db1': its flavor has "
                   "256 MB of RAM.")
        self.mock_instance_attach_configuration.side_effect = helpers.api_error(400, message)
        res = self.client.post(ATTACH_URL, {'instance_id': I, 'configuration': GROUP_ID})
        self.assertEqual([message], res.context['form'].errors['configuration'])


class InstanceConfigurationTabTests(helpers.TestCase):
    CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events',
             'instance_configuration', 'configuration_get', 'parameters_by_version')

    def open_tab(self, instance, tab='instance_details__configuration', running=None,
                 configuration=None, parameters=None):
        self.mock_instance_get.return_value = instance
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_instance_events.return_value = []
        self.mock_instance_configuration.return_value = running or {
            'max_connections': '200', 'innodb_flush_method': 'fsync', 'wait_timeout': '28800'}
        self.mock_configuration_get.return_value = configuration or group()
        self.mock_parameters_by_version.return_value = parameters or parameter_list()
        if tab is None:
            return self.client.get(INSTANCE_URL)
        return self.client.get(INSTANCE_URL, {'tab': tab},
                               HTTP_X_REQUESTED_WITH='XMLHttpRequest')

    @helpers.create_mocks({trove: CALLS})
    def test_running_values_marking_the_groups(self):
        attached = {'id': GROUP_ID, 'name': 'web', 'links': []}
        res = self.open_tab(helpers.instance('RESTART_REQUIRED', configuration=attached))
        rows = {r.name: r for r in res.context['instance_configuration_table'].data}
        self.assertTrue(rows['max_connections'].from_group)
        self.assertFalse(rows['wait_timeout'].from_group)
        self.assertEqual('fsync', rows['innodb_flush_method'].value)
        self.assertEqual('O_DIRECT', rows['innodb_flush_method'].group_value)
        text = page(res)
        self.assertIn('restart-required-note', text)
        self.assertIn(DETAIL_URL, text)
        self.mock_instance_configuration.assert_called_once_with(helpers.IsHttpRequest(), I)
        self.mock_parameters_by_version.assert_called_once_with(helpers.IsHttpRequest(),
                                                                helpers.MARIADB_1011)

    @helpers.create_mocks({trove: CALLS})
    def test_without_a_group_one_call_and_no_group_values(self):
        res = self.open_tab(helpers.instance())
        rows = res.context['instance_configuration_table'].data
        self.assertFalse(any(r.from_group for r in rows))
        self.mock_configuration_get.assert_not_called()
        self.mock_parameters_by_version.assert_not_called()
        self.assertIn('No configuration group is attached', page(res))

    @helpers.create_mocks({trove: CALLS})
    def test_overview_names_the_group(self):
        attached = {'id': GROUP_ID, 'name': 'web', 'links': []}
        res = self.open_tab(helpers.instance(configuration=attached), tab=None)
        self.assertIn('instance-configuration', res.content.decode())
        self.mock_instance_configuration.assert_not_called()   # the tab loads when opened


PG_PARAMETERS = [parameter('shared_buffers', 'integer', True, 16, 1073741823, '8kB'),
                 parameter('work_mem', 'integer', False, 64, 2147483647, 'kB'),
                 parameter('max_locks_per_transaction', 'integer', True, 10, 2147483647),
                 parameter('log_min_duration_statement', 'integer', False, -1, 2147483647,
                           'ms'),
                 parameter('log_connections', 'boolean'),
                 parameter('autovacuum_naptime', 'integer', False, 1, 2147483, 's')]
PG_GROUP = {'shared_buffers': 4096, 'work_mem': 4096, 'max_locks_per_transaction': 2000000,
            'log_min_duration_statement': 250, 'log_connections': True,
            'autovacuum_naptime': 60}
# What PostgreSQL shows after a restart with max_locks_per_transaction was rolled back.
PG_RUNNING = {'shared_buffers': '32MB', 'work_mem': '4MB', 'max_locks_per_transaction': '64',
              'log_min_duration_statement': '250ms', 'log_connections': 'on',
              'autovacuum_naptime': '1min', 'jit': 'on'}


class NotInEffectTests(helpers.TestCase):
    CALLS = InstanceConfigurationTabTests.CALLS
    open_tab = InstanceConfigurationTabTests.open_tab

    def pg_tab(self, status):
        attached = {'id': GROUP_ID, 'name': 'pg15-tuned', 'links': []}
        return self.open_tab(helpers.instance(status, configuration=attached),
                             running=PG_RUNNING, configuration=group(values=PG_GROUP),
                             parameters=PG_PARAMETERS)

    @helpers.create_mocks({trove: CALLS})
    def test_a_rolled_back_value_is_not_in_effect_and_units_are_counted(self):
        res = self.pg_tab('ACTIVE')
        rows = {r.name: r for r in res.context['instance_configuration_table'].data}
        self.assertEqual({'max_locks_per_transaction'},
                         {name for name, row in rows.items() if row.differs})
        self.assertEqual('not_in_effect', rows['max_locks_per_transaction'].state)
        self.assertEqual('default', rows['jit'].state)
        text = page(res)
        self.assertIn('not-in-effect-note', text)
        self.assertNotIn('restart-required-note', text)
        row = re.search(r'<tr[^>]*data-display="max_locks_per_transaction"[^>]*>.*?</tr>',
                        text, re.S).group(0)
        self.assertIn('warning', re.search(r'class="([^"]*)"', row).group(1).split())
        self.assertIn('Not in effect', row)
        self.assertNotIn('Waits for a restart', text)
        # Group values are shown with their unit.
        self.assertIn('4096 × 8kB (32MB)', text)
        self.assertIn('4096 kB (4MB)', text)
        self.assertIn('250 ms', text)

    @helpers.create_mocks({trove: CALLS})
    def test_while_restart_required_a_restart_value_waits(self):
        running = dict(PG_RUNNING, work_mem='8MB')     # a live value the engine adjusted
        attached = {'id': GROUP_ID, 'name': 'pg15-tuned', 'links': []}
        res = self.open_tab(helpers.instance('RESTART_REQUIRED', configuration=attached),
                            running=running, configuration=group(values=PG_GROUP),
                            parameters=PG_PARAMETERS)
        rows = {r.name: r for r in res.context['instance_configuration_table'].data}
        self.assertEqual('waits', rows['max_locks_per_transaction'].state)
        self.assertEqual('not_in_effect', rows['work_mem'].state)
        text = page(res)
        self.assertIn('Waits for a restart', text)
        self.assertIn('restart-required-note', text)
        self.assertIn('not-in-effect-note', text)

    @helpers.create_mocks({trove: CALLS})
    def test_on_a_phone_values_go_under_the_name(self):
        res = self.pg_tab('ACTIVE')
        table = res.context['instance_configuration_table']
        columns = {c.name: c for c in table.columns.values()}
        self.assertIn('hidden-xs', columns['value'].classes)
        self.assertIn('hidden-xs', columns['group_value'].classes)
        self.assertNotIn('hidden-xs', columns['source'].classes)
        text = page(res)
        self.assertTrue(re.search(
            r'max_<wbr>locks_<wbr>per_<wbr>transaction</span><div class="visible-xs-block '
            r'configuration-stacked"><div>Running value: <span class="configuration-value">'
            r'64</span></div><div>Group value: <span class="configuration-value">2000000', text),
            text)


def test_units_compare_what_the_engine_shows_with_the_groups_value():
    rules = params.by_name(PG_PARAMETERS)
    for name, group_value, running in [('shared_buffers', 4096, '32MB'),
                                       ('shared_buffers', 4097, '32776kB'),
                                       ('work_mem', 4096, '4MB'),
                                       ('log_min_duration_statement', 250, '250ms'),
                                       ('log_min_duration_statement', -1, '-1'),
                                       ('autovacuum_naptime', 60, '1min'),
                                       ('log_connections', True, 'on'),
                                       ('log_connections', True, 'ON'),
                                       ('log_connections', '1', 'yes'),
                                       ('log_connections', False, 'off')]:
        assert units.same(rules[name], group_value, running), (name, group_value, running)
    for name, group_value, running in [('shared_buffers', 4096, '64MB'),
                                       ('max_locks_per_transaction', 2000000, '64'),
                                       ('log_connections', True, 'off'),
                                       ('work_mem', 4096, 'banana')]:
        assert not units.same(rules[name], group_value, running), (name, group_value, running)
    # Without a rule: MariaDB's booleans and words.
    assert units.same(None, True, 'ON')
    assert units.same(None, 'O_DIRECT', 'o_direct')
    assert units.same(None, 10, '10.000000')


def test_values_read_with_their_unit():
    assert units.with_unit(4096, '8kB') == '4096 × 8kB (32MB)'
    assert units.with_unit(4096, 'kB') == '4096 kB (4MB)'
    assert units.with_unit(250, 'ms') == '250 ms'
    assert units.with_unit(60, 's') == '60 s (1min)'
    assert units.with_unit(-1, 'kB') == '-1 kB'
    assert units.with_unit(200, None) == '200'


def test_named_in_picks_the_longest_whole_name():
    names = ['innodb_log_file', 'innodb_log_file_size', 'max_connections']
    assert params.named_in("innodb_log_file_size=1 is too small", names) == \
        'innodb_log_file_size'
    assert params.named_in("'max_connections' must be an integer", names) == 'max_connections'
    assert params.named_in('Instance db1 is BUILD.', names) is None
