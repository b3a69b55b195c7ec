"""The instances table: columns, row refresh, actions by status and capability, API calls."""
from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:project:databases:index')


class IndexTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_lists_instances_with_three_calls(self):
        rows = [helpers.named('db%d' % i) for i in range(50)]
        self.mock_instance_list.return_value = (rows, None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

        res = self.client.get(INDEX_URL)

        self.assertTemplateUsed(res, 'project/databases/index.html')
        self.assertEqual(50, len(res.context['table'].data))
        self.mock_instance_list.assert_called_once_with(helpers.IsHttpRequest(), marker=None)
        self.mock_flavor_list.assert_called_once_with(helpers.IsHttpRequest())
        self.mock_datastore_list.assert_called_once_with(helpers.IsHttpRequest())
        html = res.content.decode()
        self.assertIn('db.small | 512 MB RAM', html)
        self.assertIn('mariadb 10.11', html)
        self.assertIn('0.50 / 2 GB', html)
        self.assertIn('127.10.0.1', html)

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_flavors_are_listed_again_only_when_stale_or_a_row_names_a_new_one(self):
        from unittest import mock
        from trove_dashboard.content.databases import flavor_cache
        flavors = helpers.flavor_list()
        self.mock_instance_list.return_value = ([helpers.named('db0')], None)
        self.mock_flavor_list.return_value = flavors
        self.mock_datastore_list.return_value = helpers.datastore_list()

        self.client.get(INDEX_URL)
        res = self.client.get(INDEX_URL)         # fresh, and it names the row's flavor
        self.assertEqual(1, self.mock_flavor_list.call_count)
        self.assertIn('db.small | 512 MB RAM', res.content.decode())

        # A row naming a flavor the copy lacks (made since) lists the flavors again.
        new = helpers.flavor_list()[0]
        new.id, new.str_id, new.name = '77', '77', 'db.new'
        self.mock_flavor_list.return_value = list(flavors) + [new]
        self.mock_instance_list.return_value = (
            [helpers.named('db0'), helpers.named('db1', flavor={'id': '77', 'links': []})],
            None)
        res = self.client.get(INDEX_URL)
        self.assertEqual(2, self.mock_flavor_list.call_count)
        self.assertIn('db.new', res.content.decode())

        # After a minute the copy is stale: listed again.
        with mock.patch.object(flavor_cache.time, 'monotonic',
                               return_value=flavor_cache.time.monotonic() + 61):
            self.client.get(INDEX_URL)
        self.assertEqual(3, self.mock_flavor_list.call_count)

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_listed_rows_are_never_fetched_again_one_by_one(self):
        """A listed instance lacks what only a show has (`configuration` when none is
        attached): reading it must not lazy-load the instance, a call per row."""
        from unittest import mock
        from troveclient.v1 import instances
        manager = mock.Mock(spec=instances.Instances)
        rows = [instances.Instance(manager, dict(helpers.named('db%d' % i)._info),
                                   loaded=False) for i in range(5)]
        self.mock_instance_list.return_value = (rows, None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

        res = self.client.get(INDEX_URL)

        self.assertEqual(5, len(res.context['table'].data))
        manager.get.assert_not_called()

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_transitional_rows_poll_and_settled_rows_do_not(self):
        self.mock_instance_list.return_value = (
            [helpers.named('building', 'BUILD'),
             helpers.named('active', 'ACTIVE'),
             helpers.named('failed', 'ERROR')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

        rows = {r.datum.name: r for r in self.client.get(INDEX_URL).context['table'].get_rows()}

        self.assertIn('warning', rows['building'].classes)  # Horizon polls these
        self.assertIn('status_up', rows['active'].classes)
        self.assertIn('status_down', rows['failed'].classes)
        self.assertTrue(all('ajax-update' in r.classes for r in rows.values()))

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_row_actions_follow_status_and_capabilities(self):
        self.mock_instance_list.return_value = (
            [helpers.named('maria', 'ACTIVE'),
             helpers.named('redis', 'ACTIVE', datastore='redis', version='7.0'),
             helpers.named('building', 'BUILD'),
             helpers.named('down', 'SHUTDOWN'),
             helpers.named('going', 'DELETING')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

        table = self.client.get(INDEX_URL).context['table']
        actions = {r.datum.name: {a.name for a in table.get_row_actions(r.datum)}
                   for r in table.get_rows()}

        # Disable Root only where root is known enabled: the detail page, not the list.
        self.assertEqual({'restart', 'resize_volume', 'resize_flavor', 'enable_root',
                          'rename', 'delete'}, actions['maria'])
        self.assertIn('enable_root', actions['redis'])  # Redis declares root
        self.assertEqual({'rename', 'delete'}, actions['building'])
        self.assertEqual({'restart', 'rename', 'delete'}, actions['down'])
        self.assertEqual(set(), actions['going'])

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_root_actions_hidden_without_the_capability(self):
        datastores = helpers.datastore_list()
        datastores[1].versions[0]['capabilities'] = []
        self.mock_instance_list.return_value = (
            [helpers.named('redis', datastore='redis', version='7.0')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = datastores

        table = self.client.get(INDEX_URL).context['table']
        names = {a.name for a in table.get_row_actions(table.data[0])}
        self.assertNotIn('enable_root', names)
        self.assertNotIn('disable_root', names)

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_empty_project_makes_one_call(self):
        self.mock_instance_list.return_value = ([], None)
        res = self.client.get(INDEX_URL)
        self.assertEqual(0, len(res.context['table'].data))
        self.mock_flavor_list.assert_not_called()
        self.mock_datastore_list.assert_not_called()

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_next_page_link_and_marker(self):
        self.mock_instance_list.return_value = ([helpers.instance()], 'next-id')
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

        res = self.client.get(INDEX_URL + '?marker=prev-id')

        self.mock_instance_list.assert_called_once_with(helpers.IsHttpRequest(),
                                                        marker='prev-id')
        self.assertIn('marker=c3adc73c', res.content.decode())

    @helpers.create_mocks({trove: ('instance_list',)})
    def test_api_failure_shows_an_error_and_an_empty_table(self):
        self.mock_instance_list.side_effect = helpers.api_error(500, 'database is locked')
        res = self.client.get(INDEX_URL)
        self.assertEqual(0, len(res.context['table'].data))
        self.assertMessageCount(res, error=1)


class RowUpdateTests(helpers.TestCase):

    def _row_update(self, instance_id):
        return self.client.get(INDEX_URL, {'action': 'row_update', 'table': 'instances',
                                           'obj_id': instance_id},
                               HTTP_X_REQUESTED_WITH='XMLHttpRequest')

    @helpers.create_mocks({trove: ('instance_get', 'flavor_get', 'datastore_list')})
    def test_row_update_renders_the_row_with_three_calls(self):
        self.mock_instance_get.return_value = helpers.instance('ACTIVE')
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()

        res = self._row_update('c3adc73c-33b3-4da8-8190-569a9996e4fc')

        self.assertEqual(200, res.status_code)
        self.assertIn('Active', res.content.decode())
        self.assertIn('status_up', res.content.decode())
        self.mock_instance_get.assert_called_once_with(
            helpers.IsHttpRequest(), 'c3adc73c-33b3-4da8-8190-569a9996e4fc')
        self.mock_flavor_get.assert_called_once_with(helpers.IsHttpRequest(), '2')

    @helpers.create_mocks({trove: ('instance_get',)})
    def test_deleted_instance_answers_404_so_the_row_goes(self):
        self.mock_instance_get.side_effect = helpers.api_error(404, 'gone')
        self.assertEqual(404, self._row_update('gone').status_code)
