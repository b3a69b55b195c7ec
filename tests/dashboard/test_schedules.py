"""Backup schedules: an instance's schedules, create, delete, executions; instance tabs."""
from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard.content.database_backups import schedule_data

I = helpers.INSTANCE_ID
SCHEDULES_URL = reverse('horizon:project:database_backups:schedules', args=[I])
CREATE_URL = reverse('horizon:project:database_backups:create_schedule', args=[I])
INSTANCE_URL = reverse('horizon:project:databases:detail', args=[I])
PAGE_CALLS = ('instance_get', 'schedule_list', 'instance_backups')


def schedule_url(schedule):
    return reverse('horizon:project:database_backups:schedule', args=[I, schedule.id])


def made_by(schedule, label, created, status='COMPLETED'):
    return helpers.backup(label, status, created=created,
                          description=schedule_data.MADE_BY % schedule.id)


class SchedulesPageTests(helpers.TestCase):

    @helpers.create_mocks({trove: PAGE_CALLS})
    def test_table_with_age_and_restorable_window_in_three_calls(self):
        ten = helpers.schedule('ten', last_age=75)
        fresh = helpers.schedule('nightly', pattern='0 3 * * *', retention=7)
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [ten, fresh]
        self.mock_instance_backups.return_value = [
            made_by(ten, 'a', '2026-11-22T01:00:00'),
            made_by(ten, 'b', '2026-11-22T03:20:00'),
            made_by(ten, 'c', '2026-11-22T04:00:00', status='FAILED'),
            helpers.backup('manual', created='2026-11-21T01:00:00')]

        res = self.client.get(SCHEDULES_URL)

        rows = {s.name: s for s in res.context['table'].data}
        self.assertEqual(2 * 3600 + 20 * 60, rows['ten'].window)
        self.assertIsNone(rows['nightly'].window)
        html = res.content.decode()
        self.assertIn('2 h 20 min', html)
        self.assertIn('1 min 15 s ago', html)
        self.assertIn('None yet', html)
        self.assertIn('* * * * * */10', html)
        for mocked in (self.mock_instance_get, self.mock_schedule_list,
                       self.mock_instance_backups):
            self.assertEqual(1, mocked.call_count)

    @helpers.create_mocks({trove: PAGE_CALLS + ('schedule_delete',)})
    def test_delete_schedule(self):
        ten = helpers.schedule('ten')
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [ten]
        self.mock_instance_backups.return_value = []
        res = self.client.post(SCHEDULES_URL, {'action': 'schedules__delete__%s' % ten.id})
        self.assertRedirectsNoFollow(res, SCHEDULES_URL)
        self.mock_schedule_delete.assert_called_once_with(helpers.IsHttpRequest(), I, ten.id)

    def test_span_labels(self):
        self.assertEqual('0 s', schedule_data.span_label(0))
        self.assertEqual('59 s', schedule_data.span_label(59))
        self.assertEqual('2 d 4 h', schedule_data.span_label(2 * 86400 + 4 * 3600 + 7))
        self.assertEqual('-', schedule_data.span_label(None))

    def test_schedule_id_in_the_backups_json_wins_over_the_description(self):
        ten = helpers.schedule('ten')
        own = helpers.backup('own', schedule_id=ten.id)
        theirs = helpers.backup('theirs', schedule_id='other',
                                description=schedule_data.MADE_BY % ten.id)
        self.assertTrue(schedule_data.made_by(own, ten.id))
        self.assertFalse(schedule_data.made_by(theirs, ten.id))


class CreateScheduleTests(helpers.TestCase):

    def mock_instance(self, instance):
        self.mock_instance_get.return_value = instance
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'schedule_create')})
    def test_create_sends_what_was_chosen(self):
        self.mock_instance(helpers.instance())
        res = self.client.post(CREATE_URL, {'instance_id': I, 'name': 'ten',
                                            'pattern': '* * * * * */10', 'incremental': 'on',
                                            'retention': '5', 'enabled': 'on'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, SCHEDULES_URL)
        self.mock_schedule_create.assert_called_once_with(
            helpers.IsHttpRequest(), I, 'ten', '* * * * * */10', description=None,
            incremental=True, retention=5, enabled=True)

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list', 'schedule_create')})
    def test_the_apis_refusal_of_a_pattern_is_on_the_pattern(self):
        self.mock_instance(helpers.instance())
        # A pattern only the API can judge: February has no 30th.
        message = "'0 3 30 2 *' never comes round: no month it allows has that day."
        self.mock_schedule_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(CREATE_URL, {'instance_id': I, 'name': 'x',
                                            'pattern': '0 3 30 2 *', 'retention': '0'})
        self.assertEqual([message], res.context['form'].errors['pattern'])

    @helpers.create_mocks({trove: ('instance_get', 'datastore_list')})
    def test_incremental_is_disabled_for_full_backups_only(self):
        self.mock_instance(helpers.instance(datastore='redis', version='7.0'))
        form = self.client.get(CREATE_URL).context['form']
        self.assertTrue(form.fields['incremental'].disabled)
        self.assertIn('seconds last', str(form.fields['pattern'].help_text))


class ScheduleDetailTests(helpers.TestCase):
    CALLS = ('instance_get', 'schedule_get', 'execution_list', 'instance_backups')

    def mock_page(self, executions, backups=()):
        self.ten = helpers.schedule('ten', last_age=4)
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_get.return_value = self.ten
        self.mock_execution_list.return_value = executions
        self.mock_instance_backups.return_value = list(backups)

    @helpers.create_mocks({trove: CALLS})
    def test_executions_newest_first_with_their_backups_in_four_calls(self):
        done = helpers.backup('ten 01:20')
        self.mock_page([helpers.execution('old', 'MISSED', output='No task manager ran.'),
                        helpers.execution('skip', 'SKIPPED', output='The instance is BACKUP.'),
                        helpers.execution('ok', 'SUCCESS', backup_id=done.id),
                        helpers.execution('now', 'RUNNING')], [done])

        res = self.client.get(schedule_url(helpers.schedule('ten')))

        states = [e.state for e in res.context['table'].data]
        self.assertEqual(['RUNNING', 'SUCCESS', 'SKIPPED', 'MISSED'], states)
        html = res.content.decode()
        self.assertIn('ten 01:20 (Completed)', html)
        self.assertIn('The instance is BACKUP.', html)
        self.assertIn('Missed', html)
        self.assertIn('4 s ago', html)
        for mocked in (self.mock_instance_get, self.mock_schedule_get,
                       self.mock_execution_list, self.mock_instance_backups):
            self.assertEqual(1, mocked.call_count)

    @helpers.create_mocks({trove: CALLS + ('execution_delete',)})
    def test_delete_execution_but_never_a_running_one(self):
        running, missed = helpers.execution('now', 'RUNNING'), helpers.execution('m', 'MISSED')
        self.mock_page([missed, running])
        url = schedule_url(helpers.schedule('ten'))
        table = self.client.get(url).context['table']
        by_state = {e.state: e for e in table.data}
        self.assertNotIn('delete', {a.name for a in table.get_row_actions(by_state['RUNNING'])})

        self.client.post(url, {'action': 'executions__delete__%s' % missed.id})
        self.mock_execution_delete.assert_called_once_with(
            helpers.IsHttpRequest(), I, self.ten.id, missed.id)


class InstanceIntegrationTests(helpers.TestCase):
    DETAIL_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')

    def mock_detail(self, instance):
        self.mock_instance_get.return_value = instance
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        self.mock_instance_events.return_value = []

    @helpers.create_mocks({trove: ('instance_list', 'flavor_list', 'datastore_list')})
    def test_instance_rows_offer_backups_and_schedules(self):
        self.mock_instance_list.return_value = ([helpers.named('maria'),
                                                 helpers.named('busy', 'BACKUP')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        table = self.client.get(reverse('horizon:project:databases:index')).context['table']
        rows = {r.datum.name: r for r in table.get_rows()}
        maria = {a.name: a for a in table.get_row_actions(rows['maria'].datum)}
        self.assertEqual(SCHEDULES_URL.replace(I, rows['maria'].datum.id),
                         maria['schedules'].get_link_url(rows['maria'].datum))
        self.assertIn('backup', maria)
        busy = {a.name for a in table.get_row_actions(rows['busy'].datum)}
        self.assertNotIn('backup', busy)
        self.assertIn('warning', rows['busy'].classes)    # BACKUP is polled

    @helpers.create_mocks({trove: DETAIL_CALLS + ('instance_backups',)})
    def test_backups_tab_is_one_call_made_when_opened(self):
        self.mock_detail(helpers.instance())
        res = self.client.get(INSTANCE_URL)
        self.assertIn('backups', [t.slug for t in res.context['tab_group'].get_tabs()])
        self.mock_instance_backups.assert_not_called()

        self.mock_instance_backups.return_value = [helpers.backup('nightly')]
        res = self.client.get(INSTANCE_URL, {'tab': 'instance_details__backups'})
        html = res.content.decode()
        self.assertIn('nightly', html)
        self.assertIn('/project/database_backups/create?instance=%s' % I, html)
        self.mock_instance_backups.assert_called_once_with(helpers.IsHttpRequest(), I)

    @helpers.create_mocks({trove: DETAIL_CALLS + ('backup_get',)})
    def test_a_backup_being_made_refreshes_itself_in_the_tab(self):
        self.mock_detail(helpers.instance('BACKUP'))
        done = helpers.backup('nightly')
        self.mock_backup_get.return_value = done
        res = self.client.get(INSTANCE_URL, {'action': 'row_update', 'table': 'instance_backups',
                                             'obj_id': done.id},
                              HTTP_X_REQUESTED_WITH='XMLHttpRequest')
        html = res.content.decode()
        self.assertTrue(html.startswith('<tr'))
        self.assertIn('Completed', html)

    @helpers.create_mocks({trove: DETAIL_CALLS + ('instance_backups', 'schedule_list')})
    def test_schedules_tab(self):
        self.mock_detail(helpers.instance())
        self.mock_schedule_list.return_value = [helpers.schedule('ten')]
        self.mock_instance_backups.return_value = []
        html = self.client.get(INSTANCE_URL, {'tab': 'instance_details__schedules'}
                               ).content.decode()
        self.assertIn('* * * * * */10', html)
        self.assertIn(CREATE_URL, html)

    @helpers.create_mocks({trove: DETAIL_CALLS})
    def test_no_backup_tabs_without_the_capability(self):
        self.mock_detail(helpers.instance())
        self.mock_datastore_list.return_value = helpers.datastore_list()
        tabs = [t.slug for t in self.client.get(INSTANCE_URL).context['tab_group'].get_tabs()]
        self.assertNotIn('backups', tabs)
        self.assertNotIn('schedules', tabs)


class ToggleScheduleTests(helpers.TestCase):

    @helpers.create_mocks({trove: PAGE_CALLS + ('schedule_update',)})
    def test_disable_an_enabled_schedule_and_enable_a_disabled_one(self):
        on, off = helpers.schedule('on'), helpers.schedule('off', enabled=False)
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_schedule_list.return_value = [on, off]
        self.mock_instance_backups.return_value = []
        table = self.client.get(SCHEDULES_URL).context['table']
        by_name = {s.name: s for s in table.data}
        self.assertEqual(['run', 'disable', 'delete'],
                         [a.name for a in table.get_row_actions(by_name['on'])])
        self.assertEqual(['enable', 'delete'],
                         [a.name for a in table.get_row_actions(by_name['off'])])

        self.client.post(SCHEDULES_URL, {'action': 'schedules__disable__%s' % on.id})
        self.mock_schedule_update.assert_called_once_with(helpers.IsHttpRequest(), I, on.id,
                                                          enabled=False)
