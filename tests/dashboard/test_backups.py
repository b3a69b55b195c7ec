"""The Backups panel: live list, create, detail with its chain, restore, delete."""
from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:project:database_backups:index')
CREATE_URL = reverse('horizon:project:database_backups:create')
LAUNCH_URL = reverse('horizon:project:databases:launch')
OTHER_ID = helpers.uuid_for('other')
INSTANCE_URL = reverse('horizon:project:databases:detail', args=[helpers.INSTANCE_ID])
# How the API names a backup's live instance (a deleted one: instance_deleted true).
LIVE = {'instance_name': 'db1', 'instance_deleted': False}


def detail_url(backup):
    return reverse('horizon:project:database_backups:detail', args=[backup.id])


class IndexTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('backup_list_page',)})
    def test_one_page_with_instance_names_in_one_call(self):
        full = helpers.backup('nightly', created='2026-11-22T01:00:00', **LIVE)
        incr = helpers.backup('hourly', parent='nightly', created='2026-11-22T02:00:00',
                              **LIVE)
        gone = helpers.backup('orphan', instance_id=OTHER_ID, status='FAILED',
                              created='2026-11-21T23:00:00', instance_name='old-db',
                              instance_deleted=True)
        purged = helpers.backup('ancient', instance_id=OTHER_ID, created='2026-11-20T23:00:00',
                                instance_name=None, instance_deleted=True)
        self.mock_backup_list_page.return_value = ([full, gone, incr, purged], None)

        res = self.client.get(INDEX_URL)

        self.assertTemplateUsed(res, 'project/database_backups/index.html')
        rows = res.context['table'].data
        self.assertEqual(['hourly', 'nightly', 'orphan', 'ancient'], [b.name for b in rows])
        cells = {row.datum.name: row.cells['instance'] for row in
                 res.context['table'].get_rows()}
        # A live instance links to its page; a deleted one is text, by name (or by id once
        # its record is purged), marked deleted: its page would only fail.
        self.assertEqual(INSTANCE_URL, cells['nightly'].url)
        self.assertEqual('db1', cells['nightly'].data)
        self.assertIsNone(cells['orphan'].url)
        self.assertEqual('old-db (deleted)', cells['orphan'].data)
        self.assertIsNone(cells['ancient'].url)
        self.assertEqual('%s (deleted)' % OTHER_ID, cells['ancient'].data)
        self.assertIn('Incremental', res.content.decode())
        self.mock_backup_list_page.assert_called_once_with(helpers.IsHttpRequest(), marker=None)

    @helpers.create_mocks({trove: ('backup_list_page',)})
    def test_rows_being_made_refresh_themselves(self):
        self.mock_backup_list_page.return_value = ([helpers.backup('a', 'BUILDING'),
                                                    helpers.backup('b')], None)
        rows = {r.datum.name: r for r in self.client.get(INDEX_URL).context['table'].get_rows()}
        self.assertIn('warning', rows['a'].classes)     # Horizon polls these
        self.assertIn('status_up', rows['b'].classes)
        self.assertTrue(all('ajax-update' in r.classes for r in rows.values()))

    @helpers.create_mocks({trove: ('backup_get',)})
    def test_a_row_refresh_costs_one_call(self):
        building = helpers.backup('a', 'COMPLETED', **LIVE)
        self.mock_backup_get.return_value = building
        res = self.client.get(INDEX_URL, {'action': 'row_update', 'table': 'backups',
                                          'obj_id': building.id},
                              HTTP_X_REQUESTED_WITH='XMLHttpRequest')
        html = res.content.decode()
        self.assertIn('Completed', html)
        self.assertIn('db1', html)

    @helpers.create_mocks({trove: ('backup_list_page',)})
    def test_restore_opens_launch_on_the_backup_and_only_when_completed(self):
        done, building = helpers.backup('done'), helpers.backup('busy', 'BUILDING')
        self.mock_backup_list_page.return_value = ([done, building], None)
        table = self.client.get(INDEX_URL).context['table']
        by_name = {b.name: b for b in table.data}
        actions = {a.name: a for a in table.get_row_actions(by_name['done'])}
        self.assertEqual('%s?backup=%s&step=advanced' % (LAUNCH_URL, done.id),
                         actions['restore'].get_link_url(by_name['done']))
        self.assertNotIn('restore', {a.name for a in table.get_row_actions(by_name['busy'])})
        self.assertNotIn('delete', {a.name for a in table.get_row_actions(by_name['busy'])})

    @helpers.create_mocks({trove: ('backup_list_page',)})
    def test_a_backup_being_deleted_refreshes_and_one_whose_delete_failed_can_be_deleted(self):
        going = helpers.backup('going', 'DELETING')
        stuck = helpers.backup('stuck', 'DELETE_FAILED', fail_reason='The storage failed.')
        self.mock_backup_list_page.return_value = ([going, stuck], None)
        res = self.client.get(INDEX_URL)
        table = res.context['table']
        by_name = {b.name: b for b in table.data}
        for name in ('going', 'stuck'):
            actions = {a.name for a in table.get_row_actions(by_name[name])}
            self.assertIn('delete', actions)
            self.assertNotIn('restore', actions)
        self.assertContains(res, 'Deleting')
        self.assertContains(res, 'Delete failed')
        rows = {row.datum.name: row for row in table.get_rows()}
        self.assertEqual('warning', rows['going'].status_class)

    @helpers.create_mocks({trove: ('backup_list_page', 'backup_delete')})
    def test_delete_refused_while_incrementals_build_on_it_says_why(self):
        full = helpers.backup('full')
        self.mock_backup_list_page.return_value = ([full], None)
        message = 'Backup %s has 1 incremental backup built on it.' % full.id
        self.mock_backup_delete.side_effect = helpers.api_error(409, message)

        res = self.client.post(INDEX_URL, {'action': 'backups__delete__%s' % full.id},
                               follow=True)

        self.mock_backup_delete.assert_called_once_with(helpers.IsHttpRequest(), full.id,
                                                        with_chain=False)
        self.assertIn(message, res.content.decode())

    @helpers.create_mocks({trove: ('backup_list_page', 'backup_delete')})
    def test_delete_with_incrementals_is_offered_for_a_parent_and_sends_the_chain(self):
        full, incr = helpers.backup('full'), helpers.backup('incr', parent='full')
        self.mock_backup_list_page.return_value = ([full, incr], None)
        table = self.client.get(INDEX_URL).context['table']
        by_name = {b.name: b for b in table.data}
        self.assertIn('delete_chain', {a.name for a in table.get_row_actions(by_name['full'])})
        self.assertNotIn('delete_chain',
                         {a.name for a in table.get_row_actions(by_name['incr'])})

        self.client.post(INDEX_URL, {'action': 'backups__delete_chain__%s' % full.id})
        self.mock_backup_delete.assert_called_once_with(helpers.IsHttpRequest(), full.id,
                                                        with_chain=True)


class DetailTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('backup_get', 'instance_backups')})
    def test_overview_and_chain_in_two_calls(self):
        full = helpers.backup('full', created='2026-11-22T01:00:00')
        middle = helpers.backup('middle', parent='full', created='2026-11-22T01:10:00')
        child = helpers.backup('child', parent='middle', created='2026-11-22T01:20:00')
        other = helpers.backup('other-full', created='2026-11-22T01:30:00')
        self.mock_backup_get.return_value = helpers.backup('middle', parent='full',
                                                           created='2026-11-22T01:10:00',
                                                           **LIVE)
        self.mock_instance_backups.return_value = [full, middle, child, other]

        res = self.client.get(detail_url(middle))

        html = res.content.decode()
        self.assertIn('sha256:ab12', html)
        self.assertIn('Incremental', html)
        chain = res.context['tab_group'].get_tab('chain')._tables['chain'].data
        self.assertEqual(['full', 'middle', 'child'], [b.name for b in chain])
        self.assertEqual(['Builds on', 'This backup', 'Built on it'],
                         [str(b.relation) for b in chain])
        for mocked in (self.mock_backup_get, self.mock_instance_backups):
            self.assertEqual(1, mocked.call_count)
        self.assertIn('<dd class="backup-instance"><a href="%s">db1</a></dd>' % INSTANCE_URL,
                      html)
        # It has a child: deleting it with its incrementals is offered in the header.
        self.assertIn('delete_chain', html)

    @helpers.create_mocks({trove: ('backup_get', 'instance_backups')})
    def test_failed_backup_shows_why_and_a_deleted_instance_by_name_without_a_link(self):
        failed = helpers.backup('bad', 'FAILED', fail_reason='mariadb-backup exited with 1',
                                instance_name='old-db', instance_deleted=True)
        self.mock_backup_get.return_value = failed
        self.mock_instance_backups.return_value = [failed]
        html = self.client.get(detail_url(failed)).content.decode()
        self.assertIn('mariadb-backup exited with 1', html)
        self.assertIn('<dd class="backup-instance">old-db (deleted)</dd>', html)
        self.assertNotIn(INSTANCE_URL, html)

    @helpers.create_mocks({trove: ('backup_get', 'instance_backups')})
    def test_a_failed_delete_is_headed_as_one(self):
        stuck = helpers.backup('stuck', 'DELETE_FAILED', fail_reason='It is retried.')
        self.mock_backup_get.return_value = stuck
        self.mock_instance_backups.return_value = [stuck]
        html = self.client.get(detail_url(stuck)).content.decode()
        self.assertIn('<h4>Delete failed</h4>', html)
        self.assertIn('It is retried.', html)

    @helpers.create_mocks({trove: ('backup_get',)})
    def test_missing_backup_returns_to_the_list(self):
        self.mock_backup_get.side_effect = helpers.api_error(404, 'not found')
        res = self.client.get(detail_url(helpers.backup('x')))
        self.assertRedirectsNoFollow(res, INDEX_URL)


class CreateTests(helpers.TestCase):

    def mock_choices(self, *instances, backups=()):
        self.mock_instance_list.return_value = (list(instances), None)
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        self.mock_backup_list_page.return_value = (list(backups), None)

    CALLS = ('instance_list', 'datastore_list', 'backup_list_page')

    @helpers.create_mocks({trove: CALLS})
    def test_offers_active_instances_that_can_be_backed_up_and_their_parents(self):
        redis = helpers.named('cache', datastore='redis', version='7.0')
        building = helpers.named('new', 'BUILD')
        done, busy = helpers.backup('done'), helpers.backup('busy', 'BUILDING')
        self.mock_choices(helpers.instance(), redis, building, backups=[done, busy])

        form = self.client.get(CREATE_URL, {'instance': helpers.INSTANCE_ID}).context['form']

        self.assertEqual(['db1', 'cache'], [label for _v, label in
                                            form.fields['instance'].choices])
        self.assertEqual(helpers.INSTANCE_ID, form.initial['instance'])
        self.assertEqual(['', done.id], [v for v, _l in form.fields['parent'].choices])
        html = form['parent'].as_widget()
        self.assertIn('data-instance="%s"' % helpers.INSTANCE_ID, html)
        # The page disables Incremental for Redis (full backups only).
        html = form['instance'].as_widget()
        self.assertIn('selected data-incremental="true">db1<', html)
        self.assertIn('value="%s" data-incremental="false"' % redis.id, html)

    @helpers.create_mocks({trove: CALLS + ('backup_create',)})
    def test_full_backup(self):
        self.mock_choices(helpers.instance())
        res = self.client.post(CREATE_URL, {'name': 'before-upgrade', 'kind': 'full',
                                            'instance': helpers.INSTANCE_ID,
                                            'description': 'pre 11.4'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_backup_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'before-upgrade', helpers.INSTANCE_ID,
            description='pre 11.4', parent_id=None, incremental=False)

    @helpers.create_mocks({trove: CALLS + ('backup_create',)})
    def test_incremental_on_a_chosen_parent(self):
        parent = helpers.backup('full')
        self.mock_choices(helpers.instance(), backups=[parent])
        res = self.client.post(CREATE_URL, {'name': 'incr', 'kind': 'incremental',
                                            'instance': helpers.INSTANCE_ID,
                                            'parent': parent.id})
        self.assertNoFormErrors(res)
        self.mock_backup_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'incr', helpers.INSTANCE_ID, description=None,
            parent_id=parent.id, incremental=True)

    @helpers.create_mocks({trove: CALLS + ('backup_create',)})
    def test_incremental_refused_for_a_datastore_with_full_backups_only(self):
        redis = helpers.named('cache', datastore='redis', version='7.0')
        self.mock_choices(redis)
        res = self.client.post(CREATE_URL, {'name': 'x', 'kind': 'incremental',
                                            'instance': redis.id})
        self.assertFormErrors(res, 1, "This instance's datastore makes full backups only.")
        self.mock_backup_create.assert_not_called()

    @helpers.create_mocks({trove: CALLS + ('backup_create',)})
    def test_parent_of_another_instance_refused(self):
        other = helpers.named('other')
        parent = helpers.backup('theirs', instance_id=other.id)
        self.mock_choices(helpers.instance(), other, backups=[parent])
        res = self.client.post(CREATE_URL, {'name': 'x', 'kind': 'incremental',
                                            'instance': helpers.INSTANCE_ID,
                                            'parent': parent.id})
        self.assertFormErrors(res, 1, 'The parent must be a backup of the same instance.')
        self.mock_backup_create.assert_not_called()

    @helpers.create_mocks({trove: CALLS + ('backup_create',)})
    def test_api_refusal_lands_on_its_field(self):
        self.mock_choices(helpers.instance())
        message = ('An incremental backup needs a completed backup of the instance to build '
                   'on; make a full backup first.')
        self.mock_backup_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(CREATE_URL, {'name': 'x', 'kind': 'incremental',
                                            'instance': helpers.INSTANCE_ID})
        self.assertEqual([message], res.context['form'].errors['kind'])


class RestoreLaunchTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('backup_get', 'datastore_list', 'version_flavors',
                                   'version_volume_types', 'availability_zone_list',
                                   'network_list', 'backup_list')})
    def test_launch_opens_on_the_backups_version_with_it_chosen(self):
        chosen = helpers.backup('nightly', datastore='redis', version='7.0')
        self.mock_backup_get.return_value = chosen
        self.mock_datastore_list.return_value = helpers.datastore_list_with_backups()
        self.mock_version_flavors.return_value = helpers.flavor_list()
        self.mock_version_volume_types.return_value = helpers.volume_type_list()
        self.mock_availability_zone_list.return_value = [helpers.zone('nova')]
        self.mock_network_list.return_value = helpers.network_list()
        self.mock_backup_list.return_value = [chosen]

        res = self.client.get(LAUNCH_URL, {'backup': chosen.id, 'step': 'advanced'})

        workflow = res.context['workflow']
        self.assertEqual('advanced', workflow.get_entry_point())
        self.assertEqual(helpers.REDIS_REF, workflow.context['datastore_version'])
        advanced = workflow.get_step('advanced').action
        self.assertEqual('backup', advanced.initial['initial_state'])
        self.assertEqual(chosen.id, advanced.initial['backup'])
        self.assertIn((chosen.id, 'nightly'), advanced.fields['backup'].choices)
        self.mock_version_flavors.assert_called_once_with(helpers.IsHttpRequest(),
                                                          helpers.REDIS_ID, helpers.REDIS_70)
