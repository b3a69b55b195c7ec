"""An instance's detail page: overview with fault and usage, events, users, databases."""
from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard.content.databases import detail_tables

DETAIL_URL = reverse('horizon:project:databases:detail', args=[helpers.INSTANCE_ID])
INSTANCE_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')


class DetailTests(helpers.TestCase):

    def mock_instance(self, instance):
        self.mock_instance_get.return_value = instance
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = [
            helpers.event('placement', duration=0.01), helpers.event('volume', duration=0.002),
            helpers.event('prepare', duration=2.0)]

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_overview_and_events_with_four_calls(self):
        self.mock_instance(helpers.instance())

        res = self.client.get(DETAIL_URL)

        self.assertTemplateUsed(res, 'project/databases/_detail_overview.html')
        html = res.content.decode()
        self.assertTrue('0.50 GB used of 2 GB' in html, '0.50 GB used of 2 GB')
        self.assertTrue('aria-valuenow="25"' in html, 'aria-valuenow="25"')
        self.assertTrue('db.small' in html, 'db.small')
        self.assertTrue('127.10.0.1' in html, '127.10.0.1')
        self.assertFalse('instance-fault' in html, 'instance-fault')
        self.assertTrue('2.0 s' in html, '2.0 s')   # events preload: durations
        for mocked in (self.mock_instance_get, self.mock_flavor_get, self.mock_datastore_list,
                       self.mock_instance_events):
            self.assertEqual(1, mocked.call_count)

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('version_volume_types',)})
    def test_volume_type_by_name_with_one_more_call(self):
        volume = {'size': 2, 'used': 0.5, 'type': 'vt-fast'}
        self.mock_instance(helpers.instance(volume=volume))
        self.mock_version_volume_types.return_value = helpers.volume_type_list()
        html = self.client.get(DETAIL_URL).content.decode()
        self.assertTrue('<dd>fast</dd>' in html)
        self.mock_version_volume_types.assert_called_once_with(helpers.IsHttpRequest(),
                                                               'mariadb', '10.11')

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_a_moving_instance_says_so_for_the_page_to_follow_it(self):
        self.mock_instance(helpers.instance('BUILD'))
        html = self.client.get(DETAIL_URL).content.decode()
        self.assertTrue('data-transitional="true"' in html)

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_overview_alone_for_the_pages_poll(self):
        self.mock_instance(helpers.instance('REBOOT'))
        res = self.client.get(DETAIL_URL, {'tab': 'instance_details__overview'},
                              HTTP_X_REQUESTED_WITH='XMLHttpRequest')
        html = res.content.decode()
        self.assertTrue(html.lstrip().startswith('<div class="detail">'))
        self.assertTrue('REBOOT' in html)

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_fault_box_shows_message_and_date_without_details_for_members(self):
        fault = {'message': 'No host in zone-b can hold 12000 MB.',
                 'created': '2026-11-22T01:12:55', 'details': 'Traceback ...'}
        self.mock_instance(helpers.instance('ERROR', fault=fault))
        self.mock_instance_events.return_value = [
            helpers.event('placement', 'FAILED', message=fault['message'])]

        html = self.client.get(DETAIL_URL).content.decode()

        self.assertTrue('instance-fault' in html, 'instance-fault')
        self.assertTrue('No host in zone-b can hold 12000 MB.' in html, 'No host in zone-b can hold 12000 MB.')
        self.assertTrue('2026-11-22 01:12:55' in html, '2026-11-22 01:12:55')
        self.assertFalse('Traceback' in html, 'Traceback')
        self.assertTrue('event-failed' in html, 'event-failed')

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_fault_details_for_admins(self):
        self._setup_user(roles=[{'id': '1', 'name': 'admin'}])
        fault = {'message': 'Build failed.', 'created': '2026-11-22T01:12:55',
                 'details': 'Traceback (most recent call last)'}
        self.mock_instance(helpers.instance('ERROR', fault=fault))
        html = self.client.get(DETAIL_URL).content.decode()
        self.assertTrue('Traceback (most recent call last)' in html)

    @helpers.create_mocks({trove: INSTANCE_CALLS})
    def test_users_and_databases_tabs_follow_capabilities(self):
        self.mock_instance(helpers.instance(datastore='redis', version='7.0'))
        tab_group = self.client.get(DETAIL_URL).context['tab_group']
        self.assertEqual(['overview', 'events', 'metrics'],
                         [t.slug for t in tab_group.get_tabs()])

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list', 'database_list')})
    def test_guest_tabs_load_only_when_opened(self):
        self.mock_instance(helpers.instance())
        res = self.client.get(DETAIL_URL)
        self.assertEqual(['overview', 'events', 'metrics', 'users', 'databases'],
                         [t.slug for t in res.context['tab_group'].get_tabs()])
        self.mock_user_list.assert_not_called()
        self.mock_database_list.assert_not_called()

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list',)})
    def test_users_tab(self):
        self.mock_instance(helpers.instance())
        self.mock_user_list.return_value = ([helpers.user('app', '10.%', ['shop'])], None)

        res = self.client.get(DETAIL_URL + '?tab=instance_details__users')

        html = res.content.decode()
        self.assertTrue('app' in html and 'shop' in html)
        self.mock_user_list.assert_called_once_with(helpers.IsHttpRequest(),
                                                    helpers.INSTANCE_ID, marker=None)

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('database_list',)})
    def test_databases_tab_pages_by_marker(self):
        self.mock_instance(helpers.instance())
        self.mock_database_list.return_value = ([helpers.database('shop')], 'shop')

        res = self.client.get(DETAIL_URL + '?databases_marker=a')

        self.mock_database_list.assert_called_once_with(helpers.IsHttpRequest(),
                                                        helpers.INSTANCE_ID, marker='a')
        self.assertTrue('databases_marker=shop' in res.content.decode())

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list',)})
    def test_guest_tabs_ask_nothing_while_not_active(self):
        self.mock_instance(helpers.instance('BUILD'))
        res = self.client.get(DETAIL_URL + '?tab=instance_details__users')
        self.assertTrue('answers only while the instance is Active' in res.content.decode())
        self.mock_user_list.assert_not_called()

    @helpers.create_mocks({trove: ('instance_get',)})
    def test_missing_instance_returns_to_the_list(self):
        self.mock_instance_get.side_effect = helpers.api_error(404, 'not found')
        res = self.client.get(DETAIL_URL)
        self.assertRedirectsNoFollow(res, reverse('horizon:project:databases:index'))


class GuestActionTests(helpers.TestCase):

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list', 'user_delete')})
    def test_delete_user_by_name_and_host(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_user_list.return_value = ([helpers.user('a@b', '10.%')], None)

        res = self.client.post(DETAIL_URL, {'action': 'users__delete__a@b@10.%'})

        self.mock_user_delete.assert_called_once_with(helpers.IsHttpRequest(),
                                                      helpers.INSTANCE_ID, 'a@b', '10.%')
        self.assertEqual(302, res.status_code)

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('database_list', 'database_delete')})
    def test_delete_database(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_database_list.return_value = ([helpers.database('shop')], None)

        self.client.post(DETAIL_URL, {'action': 'databases__delete__shop'})

        self.mock_database_delete.assert_called_once_with(helpers.IsHttpRequest(),
                                                          helpers.INSTANCE_ID, 'shop')


class TimelineTests(helpers.TestCase):

    def test_steps_started_in_the_same_second_follow_each_other(self):
        steps = [helpers.event('placement', duration=0.5), helpers.event('guest', duration=0.5),
                 helpers.event('prepare', duration=1.0)]
        detail_tables.place_on_timeline(steps)
        self.assertEqual([0.0, 25.0, 50.0], [e.timeline_left for e in steps])
        self.assertEqual([25.0, 25.0, 50.0], [e.timeline_width for e in steps])

    def test_a_new_run_of_an_operation_starts_again_at_zero(self):
        steps = [helpers.event('restart', duration=1.0, operation='restart'),
                 helpers.event('restart', duration=2.0, operation='restart')]
        detail_tables.place_on_timeline(steps)
        self.assertEqual([0.0, 0.0], [e.timeline_left for e in steps])

    def test_steps_are_placed_within_their_run(self):
        first = helpers.event('placement', duration=1.0)
        second = helpers.event('prepare', duration=3.0)
        second.started = '2026-11-22T01:01:36'
        detail_tables.place_on_timeline([first, second])
        self.assertEqual(0.0, first.timeline_left)
        self.assertEqual(25.0, first.timeline_width)
        self.assertEqual(25.0, second.timeline_left)
        self.assertEqual(75.0, second.timeline_width)

    def test_user_refs_round_trip(self):
        user = helpers.user('a@b', '%')
        self.assertEqual(('a@b', '%'), detail_tables.split_user_ref(detail_tables.user_ref(user)))
