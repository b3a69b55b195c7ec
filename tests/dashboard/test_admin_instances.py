"""The Admin dashboard's Instances panel: every project's instances with their projects'
names, filters, deleted ones, the operator's actions and the detail page; API calls per
render counted on the mocked wrappers."""
import types

from django.urls import reverse
from openstack_dashboard.api import keystone

from tests.dashboard import helpers
from trove_dashboard.api import admin_instances
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:admin:database_instances:index')
DELETED_URL = reverse('horizon:admin:database_instances:deleted')
ADMIN_ROLE = {'id': '1', 'name': 'admin'}
PROJECTS = [types.SimpleNamespace(id='p-shop', name='shop'),
            types.SimpleNamespace(id='p-blog', name='blog')]
LIST_MOCKS = {admin_instances: ('instance_list',), trove: ('flavor_list',),
              keystone: ('tenant_list',)}


def mgmt(label, status='ACTIVE', project='p-shop', deleted=False, **extra):
    """An instance as GET /mgmt/instances shows it."""
    fields = dict(tenant_id=project, host='local-1', server_id=helpers.uuid_for(label),
                  service_status='HEALTHY', deleted=deleted,
                  deleted_at='2026-11-22T02:00:00' if deleted else None,
                  task_description='No tasks for the instance.')
    fields.update(extra)
    return helpers.named(label, status, **fields)


def with_admin_calls(*names):
    """The list's mocks plus these admin_instances wrappers."""
    return {admin_instances: ('instance_list',) + names, trove: ('flavor_list',),
            keystone: ('tenant_list',)}


def api_calls(*mocks):
    return sum(m.call_count for m in mocks)


class AdminTestCase(helpers.TestCase):

    def setUp(self):
        super().setUp()
        self._setup_user(roles=[ADMIN_ROLE])

    def row_actions(self, table):
        return {r.datum.name: {a.name for a in table.get_row_actions(r.datum)}
                for r in table.get_rows()}


class IndexTests(AdminTestCase):

    @helpers.create_mocks(LIST_MOCKS)
    def test_rows_with_project_names_in_two_api_calls(self):
        self.mock_instance_list.return_value = (
            [mgmt('db%d' % i, project='p-blog' if i % 2 else 'p-shop') for i in range(30)]
            + [mgmt('orphan', project='p-gone')], 'marker-x')
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.get(INDEX_URL)

        self.assertTemplateUsed(res, 'admin/database_instances/index.html')
        self.mock_instance_list.assert_called_once_with(
            helpers.IsHttpRequest(), marker=None, deleted=False)
        self.mock_tenant_list.assert_called_once_with(helpers.IsHttpRequest())
        self.assertEqual(2, api_calls(self.mock_instance_list, self.mock_flavor_list))
        rows = {r.datum.name: r for r in res.context['table'].get_rows()}
        self.assertEqual(31, len(rows))
        html = res.content.decode()
        for text in ('shop', 'blog', 'p-gone', 'local-1', 'mariadb 10.11', 'db.small', '2 GB',
                     'marker=%s' % helpers.uuid_for('orphan')):    # next page after the last
            self.assertIn(text, html)
        self.assertIn(reverse('horizon:admin:database_instances:detail',
                              args=[helpers.uuid_for('db1')]), html)
        self.assertTrue(all('ajax-update' in r.classes for r in rows.values()))

    @helpers.create_mocks(LIST_MOCKS)
    def test_next_page_passes_the_marker(self):
        self.mock_instance_list.return_value = ([mgmt('db')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.get(INDEX_URL + '?marker=m-1')

        self.mock_instance_list.assert_called_once_with(
            helpers.IsHttpRequest(), marker='m-1', deleted=False)
        self.assertNotIn('marker=', res.content.decode().split('admin_instances')[-1])

    @helpers.create_mocks(LIST_MOCKS)
    def test_empty_page_spends_no_flavor_call(self):
        self.mock_instance_list.return_value = ([], None)
        self.mock_tenant_list.return_value = (PROJECTS, False)

        self.client.get(INDEX_URL)

        self.mock_flavor_list.assert_not_called()

    @helpers.create_mocks(LIST_MOCKS)
    def test_filter_by_project_name_asks_the_api_by_id(self):
        self.mock_instance_list.return_value = ([mgmt('db', project='p-blog')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        self.client.post(INDEX_URL, {'admin_instances__filter__q_field': 'project',
                                     'admin_instances__filter__q': 'Blog'},
                         follow=True)

        self.mock_instance_list.assert_called_with(
            helpers.IsHttpRequest(), marker=None, deleted=False, project_id='p-blog')

    @helpers.create_mocks(LIST_MOCKS)
    def test_filter_by_project_id_even_one_keystone_no_longer_has(self):
        gone = 'ab' * 16
        for value, wanted in (('p-blog', 'p-blog'), (gone.upper(), gone)):
            self.mock_instance_list.return_value = ([mgmt('db', project=wanted)], None)
            self.mock_flavor_list.return_value = helpers.flavor_list()
            self.mock_tenant_list.return_value = (PROJECTS, False)

            self.client.post(INDEX_URL, {'admin_instances__filter__q_field': 'project',
                                         'admin_instances__filter__q': value}, follow=True)

            self.mock_instance_list.assert_called_with(
                helpers.IsHttpRequest(), marker=None, deleted=False, project_id=wanted)

    @helpers.create_mocks(LIST_MOCKS)
    def test_filter_by_unknown_project_lists_nothing_without_asking(self):
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.post(INDEX_URL, {'admin_instances__filter__q_field': 'project',
                                           'admin_instances__filter__q': 'nobody'},
                               follow=True)

        self.mock_instance_list.assert_not_called()
        self.assertEqual([], res.context['table'].data)

    @helpers.create_mocks(LIST_MOCKS)
    def test_filter_by_status(self):
        self.mock_instance_list.return_value = ([mgmt('db', 'ERROR')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        self.client.post(INDEX_URL, {'admin_instances__filter__q_field': 'status',
                                     'admin_instances__filter__q': 'restart required'},
                         follow=True)

        self.mock_instance_list.assert_called_with(
            helpers.IsHttpRequest(), marker=None, deleted=False, status='RESTART_REQUIRED')

    @helpers.create_mocks(LIST_MOCKS)
    def test_deleted_instances_on_their_own_url_without_actions(self):
        self.mock_instance_list.return_value = ([mgmt('gone', 'DELETING', deleted=True)],
                                                None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.get(DELETED_URL)

        self.mock_instance_list.assert_called_once_with(
            helpers.IsHttpRequest(), marker=None, deleted=True)
        table = res.context['table']
        row = table.get_rows()[0]
        self.assertIn('Deleted', row.cells['status'].data)
        self.assertIn('status_down', row.classes)        # settled: it does not poll
        self.assertNotIn('warning', row.classes)
        self.assertEqual({'gone': set()}, self.row_actions(table))
        html = res.content.decode()
        self.assertIn(INDEX_URL, html)                  # Show Live
        self.assertNotIn('admin_instances__action_show_deleted', html)

    @helpers.create_mocks(LIST_MOCKS)
    def test_live_table_offers_show_deleted(self):
        self.mock_instance_list.return_value = ([], None)
        self.mock_tenant_list.return_value = (PROJECTS, False)

        html = self.client.get(INDEX_URL).content.decode()

        self.assertIn('admin_instances__action_show_deleted', html)
        self.assertIn(DELETED_URL, html)

    @helpers.create_mocks(LIST_MOCKS)
    def test_actions_follow_status(self):
        self.mock_instance_list.return_value = (
            [mgmt('up'), mgmt('down', 'SHUTDOWN'), mgmt('building', 'BUILD'),
             mgmt('failed', 'ERROR')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        actions = self.row_actions(self.client.get(INDEX_URL).context['table'])

        self.assertEqual({'ping', 'reboot', 'stop', 'reset_status'}, actions['up'])
        self.assertEqual({'ping', 'reboot', 'stop', 'reset_status'}, actions['down'])
        self.assertEqual({'ping', 'reset_status'}, actions['building'])
        self.assertEqual({'ping', 'reset_status'}, actions['failed'])


class ActionTests(AdminTestCase):

    def post_action(self, action, label='up', status='ACTIVE'):
        self.mock_instance_list.return_value = ([mgmt(label, status)], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)
        return self.client.post(INDEX_URL, {
            'action': 'admin_instances__%s__%s' % (action, helpers.uuid_for(label))},
            follow=True)

    @helpers.create_mocks(with_admin_calls(
        'instance_ping', 'instance_stop', 'instance_reboot',
        'instance_reset_status'))
    def test_each_action_posts_its_call(self):
        for action, mock in (('ping', self.mock_instance_ping),
                             ('stop', self.mock_instance_stop),
                             ('reboot', self.mock_instance_reboot),
                             ('reset_status', self.mock_instance_reset_status)):
            self.post_action(action)
            mock.assert_called_once_with(helpers.IsHttpRequest(), helpers.uuid_for('up'))

    @helpers.create_mocks(with_admin_calls(
        'instance_ping'))
    def test_ping_success_is_a_message(self):
        res = self.post_action('ping')

        self.assertIn('The guest agent answered on instance: up',
                      [str(m) for m in res.context['messages']])

    @helpers.create_mocks(with_admin_calls(
        'instance_ping'))
    def test_ping_refusal_shown_in_the_apis_words_alone(self):
        self.mock_instance_ping.side_effect = helpers.api_error(
            400, 'An error occurred communicating with the guest: Timeout while waiting')

        res = self.post_action('ping')

        messages = [str(m) for m in res.context['messages']]
        self.assertEqual(['An error occurred communicating with the guest: Timeout while '
                          'waiting'], messages)

    @helpers.create_mocks(with_admin_calls(
        'instance_stop'))
    def test_stop_refusal_shown(self):
        self.mock_instance_stop.side_effect = helpers.api_error(
            409, 'Instance x is BUILD; stop needs it to be ACTIVE or SHUTDOWN.')

        res = self.post_action('stop')

        self.assertIn('Instance x is BUILD; stop needs it to be ACTIVE or SHUTDOWN.',
                      [str(m) for m in res.context['messages']])

    @helpers.create_mocks(with_admin_calls(
        'instance_stop'))
    def test_action_not_offered_is_not_posted(self):
        self.post_action('stop', label='building', status='BUILD')

        self.mock_instance_stop.assert_not_called()


class DetailTests(AdminTestCase):

    def detail_url(self, label='up'):
        return reverse('horizon:admin:database_instances:detail',
                       args=[helpers.uuid_for(label)])

    @helpers.create_mocks({admin_instances: ('instance_get',), trove: ('flavor_get',),
                           keystone: ('tenant_get',)})
    def test_detail_shows_fields_and_fault_details_in_two_calls(self):
        self.mock_instance_get.return_value = mgmt(
            'up', 'ERROR', fault={'message': 'The build failed.', 'created':
                                  '2026-11-22T01:02:00', 'details': 'Traceback: boom'})
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_tenant_get.return_value = PROJECTS[0]

        res = self.client.get(self.detail_url())

        self.assertTemplateUsed(res, 'admin/database_instances/detail.html')
        html = res.content.decode()
        for text in ('shop (p-shop)', 'local-1', 'The build failed.', 'Traceback: boom',
                     'No tasks for the instance.', 'db.small', '0.50 GB used of 2 GB',
                     '127.10.0.1 (loopback)'):
            self.assertIn(text, html)
        self.assertEqual(2, api_calls(self.mock_instance_get, self.mock_flavor_get))

    @helpers.create_mocks({admin_instances: ('instance_get',), trove: ('flavor_get',),
                           keystone: ('tenant_get',)})
    def test_deleted_instance_detail(self):
        self.mock_instance_get.return_value = mgmt('gone', 'DELETING', deleted=True,
                                                   addresses=[], ip=[])
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_tenant_get.return_value = PROJECTS[0]

        html = self.client.get(self.detail_url('gone')).content.decode()

        self.assertIn('DELETED', html)
        self.assertIn('Released', html)
        self.assertNotIn('admin_instances__ping', html)

    @helpers.create_mocks({admin_instances: ('instance_get', 'instance_events')})
    def test_events_tab_on_demand_a_deleted_instances_too(self):
        for instance in (mgmt('up'), mgmt('gone', 'DELETING', deleted=True)):
            self.mock_instance_get.reset_mock()
            self.mock_instance_events.reset_mock()
            self.mock_instance_get.return_value = instance
            self.mock_instance_events.return_value = [helpers.event('prepare')]

            res = self.client.get(self.detail_url(instance.id) +
                                  '?tab=admin_instance_details__events',
                                  HTTP_X_REQUESTED_WITH='XMLHttpRequest')

            self.assertIn('prepare', res.content.decode())
            self.mock_instance_events.assert_called_once_with(helpers.IsHttpRequest(),
                                                              instance.id)
            self.assertEqual(2, api_calls(self.mock_instance_get, self.mock_instance_events))

    @helpers.create_mocks({admin_instances: ('instance_get', 'instance_hwinfo',
                                             'instance_diagnostics')})
    def test_diagnostics_tab_on_demand_in_three_calls(self):
        self.mock_instance_get.return_value = mgmt('up')
        self.mock_instance_hwinfo.return_value = {'mem_total': 524288, 'num_cpus': 1}
        self.mock_instance_diagnostics.return_value = {
            'volume_used_bytes': 2 ** 20, 'volume_size_bytes': 2 * 2 ** 30,
            'operating_status': 'HEALTHY', 'last_heartbeat': '2026-11-22T01:05:00',
            'memory_mb': 512, 'vcpus': 1}

        res = self.client.get(self.detail_url() + '?tab=admin_instance_details__diagnostics',
                              HTTP_X_REQUESTED_WITH='XMLHttpRequest')

        html = res.content.decode()
        self.assertIn('512 MB (524288 kB)', html)
        self.assertIn('512 MB RAM, 1 VCPU', html)
        self.assertEqual(3, api_calls(self.mock_instance_get, self.mock_instance_hwinfo,
                                      self.mock_instance_diagnostics))

    @helpers.create_mocks({admin_instances: ('instance_get', 'instance_hwinfo')})
    def test_diagnostics_refusal_shown(self):
        self.mock_instance_get.return_value = mgmt('up')
        self.mock_instance_hwinfo.side_effect = helpers.api_error(400, 'The guest is silent.')

        res = self.client.get(self.detail_url() + '?tab=admin_instance_details__diagnostics',
                              HTTP_X_REQUESTED_WITH='XMLHttpRequest')

        self.assertIn('The guest is silent.', res.content.decode())

    @helpers.create_mocks({admin_instances: ('instance_get', 'instance_reboot'),
                           trove: ('flavor_get',), keystone: ('tenant_get',)})
    def test_detail_actions_post_back_to_the_detail_page(self):
        self.mock_instance_get.return_value = mgmt('up')
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_tenant_get.return_value = PROJECTS[0]

        res = self.client.post(self.detail_url(), {
            'action': 'admin_instances__reboot__%s' % helpers.uuid_for('up')})

        self.mock_instance_reboot.assert_called_once_with(helpers.IsHttpRequest(),
                                                          helpers.uuid_for('up'))
        self.assertRedirectsNoFollow(res, self.detail_url())


class RowUpdateTests(AdminTestCase):

    def row_update(self, label, url=INDEX_URL):
        return self.client.get(url, {'action': 'row_update', 'table': 'admin_instances',
                                     'obj_id': helpers.uuid_for(label)},
                               HTTP_X_REQUESTED_WITH='XMLHttpRequest')

    @helpers.create_mocks({admin_instances: ('instance_get',), trove: ('flavor_get',),
                           keystone: ('tenant_get',)})
    def test_row_refreshes_with_one_show_and_one_flavor_call(self):
        self.mock_instance_get.return_value = mgmt('moving', 'REBOOT')
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_tenant_get.return_value = PROJECTS[0]

        res = self.row_update('moving')

        self.assertEqual(200, res.status_code)
        self.assertIn('shop', res.content.decode())
        self.assertEqual(2, api_calls(self.mock_instance_get, self.mock_flavor_get))

    @helpers.create_mocks({admin_instances: ('instance_get',), trove: ('flavor_get',),
                           keystone: ('tenant_get',)})
    def test_row_deleted_meanwhile_leaves_the_live_table(self):
        self.mock_instance_get.return_value = mgmt('gone', 'DELETING', deleted=True)
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_tenant_get.return_value = PROJECTS[0]

        self.assertEqual(404, self.row_update('gone').status_code)


class NonAdminTests(helpers.TestCase):
    """A project member has no Admin dashboard: the panel is not theirs to open."""

    @helpers.create_mocks(LIST_MOCKS)
    def test_member_is_refused(self):
        res = self.client.get(INDEX_URL)

        self.assertIn(res.status_code, (302, 403))   # to the login page, or refused
        self.mock_instance_list.assert_not_called()


class UnplacedTests(AdminTestCase):

    @helpers.create_mocks(LIST_MOCKS)
    def test_an_instance_never_placed_offers_no_ping(self):
        # No host: no guest agent was ever started, so there is nothing to ask.
        self.mock_instance_list.return_value = (
            [mgmt('placed'), mgmt('unplaced', 'ERROR', host=None)], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        table = self.client.get(INDEX_URL).context['table']

        actions = {r.datum.name: {a.name for a in table.get_row_actions(r.datum)}
                   for r in table.get_rows()}
        self.assertIn('ping', actions['placed'])
        self.assertNotIn('ping', actions['unplaced'])


class LandingTests(AdminTestCase):

    @helpers.create_mocks(LIST_MOCKS)
    def test_admins_land_on_the_database_instances_panel(self):
        # Horizon's own Overview (the Admin dashboard's usual default) needs Nova.
        self.assertEqual('/admin/', reverse('horizon:admin:database_instances:index'))
        self.mock_instance_list.return_value = ([mgmt('db1')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.get('/admin/')

        self.assertEqual(200, res.status_code)
        self.assertIn('db1', res.content.decode())
