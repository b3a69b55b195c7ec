"""Instance pages (issue #14): how to connect, links between objects, actions that fit the
state, and a Cancel on every form."""
import types
from unittest import mock

from django.urls import reverse
from django.utils.html import escape

from tests.dashboard import helpers
from trove_dashboard.api import instance_extras
from trove_dashboard.api import trove
from trove_dashboard.content.databases import connection
from trove_dashboard.content.databases import tables

I = helpers.INSTANCE_ID
INDEX_URL = reverse('horizon:project:databases:index')
DETAIL_URL = reverse('horizon:project:databases:detail', args=[I])
BACKUPS_URL = reverse('horizon:project:database_backups:index')
SCHEDULES_URL = reverse('horizon:project:database_backups:schedules', args=[I])
DETAIL_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')
AJAX = {'HTTP_X_REQUESTED_WITH': 'XMLHttpRequest'}
ROOT_ENABLED = instance_extras.root_enabled    # before TestCase stands in for it
CANCEL = '<a href="%s"\n           class="btn btn-default cancel">'


def form_url(name):
    return reverse('horizon:project:databases:%s' % name, args=[I])


def tab_url(tab):
    return '%s?tab=instance_details__%s' % (DETAIL_URL, tab)


def backup_url(backup_id):
    return reverse('horizon:project:database_backups:detail', args=[backup_id])


# -- Cancel on every form ---------------------------------------------------------------------

class CancelTests(helpers.TestCase):
    """Horizon renders Cancel only with a cancel URL; its default (the class's success_url)
    is None in views that compute where success goes."""

    def assert_cancel(self, res, target):
        self.assertContains(res, CANCEL % target)

    @helpers.create_mocks({trove: ('instance_get', 'version_flavors')})
    def test_instance_forms_cancel_to_the_instances(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_version_flavors.return_value = helpers.flavor_list()
        for name in ('rename', 'resize_volume', 'resize_flavor', 'enable_root'):
            with self.subTest(form=name):
                self.assert_cancel(self.client.get(form_url(name), **AJAX), INDEX_URL)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'configuration_list')})
    def test_attach_configuration_cancels_to_the_instances(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_configuration_list.return_value = []
        self.assert_cancel(self.client.get(form_url('attach_configuration'), **AJAX),
                           INDEX_URL)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list')})
    def test_guest_forms_cancel_to_their_tab(self):
        # Create User asks the version whether users have a host.
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        for name, tab in (('create_database', 'databases'), ('create_user', 'users')):
            with self.subTest(form=name):
                self.assert_cancel(self.client.get(form_url(name), **AJAX), tab_url(tab))

    @helpers.create_mocks({trove: ('instance_list', 'datastore_list', 'backup_list_page')})
    def test_create_backup_cancels_to_the_backups(self):
        self.mock_instance_list.return_value = ([helpers.instance()], None)
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        self.mock_backup_list_page.return_value = ([], None)
        res = self.client.get(reverse('horizon:project:database_backups:create'), **AJAX)
        self.assert_cancel(res, BACKUPS_URL)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list')})
    def test_create_schedule_cancels_to_the_schedules(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        res = self.client.get(reverse('horizon:project:database_backups:create_schedule',
                                      args=[I]), **AJAX)
        self.assert_cancel(res, SCHEDULES_URL)

    @helpers.create_mocks({trove: ('instance_get',)})
    def test_enable_root_explains_itself_across_the_dialog(self):
        self.mock_instance_get.return_value = helpers.instance(name='orders')
        for kwargs in (AJAX, {}):      # the modal, and the page of its own
            html = self.client.get(form_url('enable_root'), **kwargs).content.decode()
            body = html[html.index('<div class="modal-body'):html.index('modal-footer')]
            # No two columns with nothing in the left one: the explanation is the body.
            self.assertNotIn('col-sm-6', body)
            self.assertIn('The root user gets a new generated password', body)
            self.assertIn('Instance: orders', body)
            self.assertIn('name="instance_id"', body)


# -- the row's default action and what a state offers -------------------------------------------

class RowActionTests(helpers.TestCase):

    def row_actions(self, instance):
        self.mock_instance_list.return_value = ([instance], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        table = self.client.get(INDEX_URL).context['table']
        return [a.name for a in table.get_row_actions(table.data[0])]

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_create_backup_is_the_button_of_an_active_row(self):
        found = self.row_actions(helpers.instance())
        self.assertEqual('backup', found[0])
        self.assertNotIn('disable_root', found)     # the list does not know root's state

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_a_deleting_row_has_no_action(self):
        self.assertEqual([], self.row_actions(helpers.instance('DELETING')))

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_a_building_row_offers_rename_first(self):
        self.assertEqual('rename', self.row_actions(helpers.instance('BUILD'))[0])

    def test_row_actions_start_with_create_backup(self):
        self.assertEqual('backup', tables.InstancesTable._meta.row_actions[0].name)


# -- Disable Root ------------------------------------------------------------------------------

class DisableRootTests(helpers.TestCase):

    def mock_detail(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = []

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_offered_on_the_detail_page_when_root_is_enabled(self):
        self.mock_detail()
        with mock.patch.object(instance_extras, 'root_enabled', return_value=True) as asked:
            html = self.client.get(DETAIL_URL).content.decode()
        asked.assert_called_once_with(helpers.IsHttpRequest(), I)
        self.assertIn('instances__disable_root__%s' % I, html)
        self.assertIn('<dd class="instance-root">Enabled</dd>', html)

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_not_offered_when_root_is_not_enabled(self):
        self.mock_detail()
        with mock.patch.object(instance_extras, 'root_enabled', return_value=False):
            html = self.client.get(DETAIL_URL).content.decode()
        self.assertNotIn('instances__disable_root__', html)
        self.assertIn(form_url('enable_root'), html)     # enabling stays offered
        self.assertIn('<dd class="instance-root">Not enabled</dd>', html)

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_not_asked_for_a_tab_loaded_alone(self):
        self.mock_detail()
        with mock.patch.object(instance_extras, 'root_enabled') as asked:
            self.client.get(DETAIL_URL, {'tab': 'instance_details__overview'}, **AJAX)
        asked.assert_not_called()

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_not_asked_while_the_engine_does_not_run(self):
        self.mock_detail()
        self.mock_instance_get.return_value = helpers.instance('SHUTDOWN')
        with mock.patch.object(instance_extras, 'root_enabled') as asked:
            self.client.get(DETAIL_URL)
        asked.assert_not_called()

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list',
                                   'root_disable')})
    def test_not_enabled_is_said_in_the_apis_words_never_as_a_success(self):
        self.mock_instance_list.return_value = ([helpers.instance()], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        said = 'Root is not enabled on this instance: there is nothing to disable.'
        self.mock_root_disable.side_effect = helpers.api_error(404, said)

        res = self.client.post(INDEX_URL, {'action': 'instances__disable_root__%s' % I},
                               follow=True)

        html = res.content.decode()
        self.assertIn(said, html)
        self.assertNotIn('Disabled Root', html)
        self.assertNotIn('Unable to', html)


# -- how to connect ----------------------------------------------------------------------------

class ConnectionTests(helpers.TestCase):

    def test_a_command_per_engine_with_its_port(self):
        for datastore, port, command in (
                ('mariadb', 3306, 'mysql -h 127.10.0.1 -P 3306 -u USER -p'),
                ('postgresql', 5432,
                 'psql "host=127.10.0.1 port=5432 user=USER dbname=postgres"'),
                ('redis', 6379, 'redis-cli -h 127.10.0.1 -p 6379')):
            with self.subTest(datastore=datastore):
                found = connection.details(helpers.instance(datastore=datastore))
                self.assertEqual(('127.10.0.1', port, command),
                                 (found['host'], found['port'], found['command']))
                self.assertTrue(found['user_note'])

    def test_the_placeholder_user_is_explained(self):
        note = str(connection.details(helpers.instance())['user_note'])
        self.assertIn('Replace USER with a user of the instance', note)

    def test_without_an_address_nothing_to_connect_to(self):
        self.assertIsNone(connection.details(helpers.instance('BUILD', ip=[])))

    def test_an_unknown_datastore_shows_its_address_only(self):
        found = connection.details(helpers.instance(datastore='cassandra'))
        self.assertEqual(('127.10.0.1', None, None), (found['host'], found['port'],
                                                      found['command']))

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_overview_shows_host_port_and_a_command_to_copy(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = []
        html = self.client.get(DETAIL_URL).content.decode()
        self.assertIn('<dd class="instance-port">3306</dd>', html)
        self.assertIn('value="mysql -h 127.10.0.1 -P 3306 -u USER -p"', html)
        self.assertIn('class="btn btn-default copy-connection"', html)
        self.assertIn('data-copied-label="Copied"', html)
        # The usage percentage beside the bar, not inside its fill.
        bar = html[html.index('<div class="progress volume-usage"'):]
        bar = bar[:bar.index('</div>\n          </div>') + 6]
        self.assertNotIn('25%<', bar)
        self.assertIn('<span class="volume-usage-percent"', html)
        self.assertIn('>25%</span>', html)


# -- events link to their backups --------------------------------------------------------------

class EventLinkTests(helpers.TestCase):
    OWN = helpers.uuid_for('backup-own')
    OTHER = helpers.uuid_for('backup-other')
    GONE = helpers.uuid_for('backup-gone')
    THEIRS = helpers.uuid_for('backup-theirs')

    def events_table(self, events):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = events
        res = self.client.get(DETAIL_URL)
        table = res.context['tab_group'].get_tab('events')._tables['events']
        return {row.datum.name: row.cells['message'] for row in table.get_rows()}

    @staticmethod
    def event(name, message, backup=(None, None, None), operation='backup'):
        """An event as the API has it: (backup_id, backup_name, backup_deleted)."""
        found = helpers.event(name, message=message, operation=operation)
        found.backup_id, found.backup_name, found.backup_deleted = backup
        return found

    # No backup call at all: the events carry their backup's name (mocked so a call fails).
    @helpers.create_mocks({trove: DETAIL_CALLS + ('instance_backups', 'backup_get')})
    def test_a_step_naming_a_backup_links_to_it_by_name_without_a_call(self):
        cells = self.events_table([
            self.event('restore', 'restoring backup %s' % self.OTHER,
                       (self.OTHER, 'other', False), 'create'),
            self.event('stream to storage', 'backup %s' % self.OWN, (self.OWN, 'own', False)),
            self.event('old stream', 'backup %s' % self.GONE, (self.GONE, 'gone', True)),
            self.event('theirs', 'restoring backup %s' % self.THEIRS, (self.THEIRS, None, None)),
            self.event('prepare', 'sent to the guest', operation='create')])

        self.assertEqual(backup_url(self.OWN), cells['stream to storage'].url)
        self.assertEqual('backup "own"', cells['stream to storage'].data)
        # The backup it was restored from is another instance's of the project.
        self.assertEqual(backup_url(self.OTHER), cells['restore'].url)
        self.assertEqual('restoring backup "other"', cells['restore'].data)
        self.assertIsNone(cells['old stream'].url)
        self.assertEqual('backup %s (deleted)' % self.GONE, cells['old stream'].data)
        # Another project's backup (an admin's restore): as written, unlinked.
        self.assertIsNone(cells['theirs'].url)
        self.assertEqual('restoring backup %s' % self.THEIRS, cells['theirs'].data)
        self.assertIsNone(cells['prepare'].url)
        self.assertEqual('sent to the guest', cells['prepare'].data)
        self.mock_instance_backups.assert_not_called()
        self.mock_backup_get.assert_not_called()


# -- a schedule's page: its actions and its breadcrumb -------------------------------------------

class ScheduleDetailTests(helpers.TestCase):
    CALLS = ('instance_get', 'schedule_get', 'execution_list', 'instance_backups')
    LIST_CALLS = ('instance_get', 'schedule_list', 'instance_backups')

    def page(self, schedule):
        self.mock_instance_get.return_value = helpers.instance(name='orders')
        self.mock_schedule_get.return_value = schedule
        self.mock_execution_list.return_value = []
        self.mock_instance_backups.return_value = []
        return self.client.get(reverse('horizon:project:database_backups:schedule',
                                       args=[I, schedule.id]))

    @helpers.create_mocks({trove: CALLS})
    def test_an_enabled_schedule_offers_run_now_disable_and_delete(self):
        schedule = helpers.schedule('nightly')
        html = self.page(schedule).content.decode()
        for action in ('run', 'disable', 'delete'):
            self.assertIn('value="schedules__%s__%s"' % (action, schedule.id), html)
        self.assertNotIn('schedules__enable__', html)
        # They post to the list (which handles them) and come back here.
        self.assertIn('action="%s"' % SCHEDULES_URL, html)
        self.assertIn('name="next" value="%s"' % reverse(
            'horizon:project:database_backups:schedule', args=[I, schedule.id]), html)

    @helpers.create_mocks({trove: CALLS})
    def test_a_disabled_schedule_offers_enable_not_run_now(self):
        schedule = helpers.schedule('paused', enabled=False)
        html = self.page(schedule).content.decode()
        self.assertIn('schedules__enable__%s' % schedule.id, html)
        self.assertNotIn('schedules__run__', html)

    @helpers.create_mocks({trove: CALLS})
    def test_the_breadcrumb_names_the_instance(self):
        html = self.page(helpers.schedule('nightly')).content.decode()
        crumbs = html[html.index('<ol class="breadcrumb">'):html.index('</ol>')]
        self.assertIn('<a href="%s">orders</a>' % DETAIL_URL, crumbs)
        self.assertIn('<a href="%s">Backup Schedules</a>' % SCHEDULES_URL, crumbs)
        self.assertIn('Schedule: nightly', crumbs)

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_run_now_returns_to_the_schedule(self):
        schedule = helpers.schedule('nightly')
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [schedule]
        self.mock_instance_backups.return_value = []
        back = reverse('horizon:project:database_backups:schedule', args=[I, schedule.id])
        with mock.patch.object(instance_extras, 'schedule_run') as run:
            res = self.client.post(SCHEDULES_URL, {
                'action': 'schedules__run__%s' % schedule.id, 'next': back})
        run.assert_called_once_with(helpers.IsHttpRequest(), I, schedule.id)
        self.assertRedirectsNoFollow(res, back)

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_next_elsewhere_is_ignored(self):
        schedule = helpers.schedule('nightly')
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [schedule]
        self.mock_instance_backups.return_value = []
        with mock.patch.object(instance_extras, 'schedule_run'):
            res = self.client.post(SCHEDULES_URL, {
                'action': 'schedules__run__%s' % schedule.id,
                'next': 'https://elsewhere.example.com/'})
        self.assertRedirectsNoFollow(res, SCHEDULES_URL)

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_run_now_refused_says_why_once(self):
        schedule = helpers.schedule('nightly')
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [schedule]
        self.mock_instance_backups.return_value = []
        said = 'The schedule "nightly" is disabled: enable it to run it now.'
        with mock.patch.object(instance_extras, 'schedule_run',
                               side_effect=helpers.api_error(409, said)):
            res = self.client.post(SCHEDULES_URL, {
                'action': 'schedules__run__%s' % schedule.id}, follow=True)
        html = res.content.decode()
        self.assertIn(escape(said), html)
        self.assertNotIn('Running Schedule Now', html)
        self.assertNotIn('Unable to', html)


class ApiWrapperTests(helpers.TestCase):
    """One API call each (TestCase stands in for root_enabled: the original is called)."""

    def test_root_enabled_and_schedule_run(self):
        client = mock.Mock()
        client.root.is_root_enabled.return_value = types.SimpleNamespace(rootEnabled=True)
        with mock.patch.object(trove, 'troveclient', return_value=client):
            self.assertTrue(ROOT_ENABLED(None, I))
            instance_extras.schedule_run(None, I, 's1')
        client.root.is_root_enabled.assert_called_once_with(I)
        client.client.post.assert_called_once_with('/instances/%s/schedules/s1/run' % I,
                                                   body={})
