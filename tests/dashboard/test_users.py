"""Users after creation: Edit User, Manage Access, and each user's databases in the list."""
from unittest import mock
from urllib import parse

from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard.api import users as users_api
from trove_dashboard.content.databases import detail_tables
from trove_dashboard.content.databases import user_forms

ID = helpers.INSTANCE_ID
DETAIL_URL = reverse('horizon:project:databases:detail', args=[ID])
USERS_TAB = DETAIL_URL + '?tab=instance_details__users'
INSTANCE_CALLS = ('instance_get', 'flavor_get', 'datastore_list', 'instance_events')


def page(name, user):
    return '%s?%s' % (reverse('horizon:project:databases:%s' % name, args=[ID]),
                      parse.urlencode({'user': user}))


class PageTestCase(helpers.TestCase):
    """Failures name the text looked for, not the whole page."""

    def shows(self, text, html):
        self.assertTrue(text in html, '%r is not on the page' % text)

    def hides(self, text, html):
        self.assertFalse(text in html, '%r is on the page' % text)


def edit(user='app@%', **fields):
    name, host = detail_tables.split_user_ref(user)
    return dict({'instance_id': ID, 'name': name, 'host': host, 'new_name': '',
                 'new_password': '', 'confirm_password': '', 'new_host': ''}, **fields)


class UsersTabTests(PageTestCase):

    def setUp(self):
        super().setUp()
        # The detail page may also ask whether root is enabled (for Disable Root).
        try:
            from trove_dashboard.api import instance_extras
        except ImportError:
            return
        mock.patch.object(instance_extras, 'root_enabled', return_value=False).start()

    def open_users_tab(self, instance, users):
        self.mock_instance_get.return_value = instance
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_instance_events.return_value = []
        self.mock_user_list.return_value = (users, None)
        return self.client.get(USERS_TAB).content.decode()

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list',)})
    def test_each_users_databases_from_the_list_alone(self):
        html = self.open_users_tab(helpers.instance(), [
            helpers.user('app', '%', ['orders', 'shop']), helpers.user('report', '10.%')])
        self.shows('orders, shop', html)
        self.assertEqual(1, self.mock_user_list.call_count)   # no call per user

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list',)})
    def test_edit_and_manage_access_link_to_the_rows_user(self):
        html = self.open_users_tab(helpers.instance(), [helpers.user('app', '10.0.0.0/8')])
        self.shows('href="%s"' % page('edit_user', 'app@10.0.0.0/8'), html)
        self.shows('href="%s"' % page('user_access', 'app@10.0.0.0/8'), html)

    @helpers.create_mocks({trove: INSTANCE_CALLS + ('user_list',)})
    def test_manage_access_needs_the_databases_capability(self):
        datastores = helpers.datastore_list()
        datastores[0].versions[0]['capabilities'] = ['users']
        self.mock_datastore_list.return_value = datastores
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_flavor_get.return_value = helpers.flavor_list()[1]
        self.mock_instance_events.return_value = []
        self.mock_user_list.return_value = ([helpers.user('app')], None)
        html = self.client.get(USERS_TAB).content.decode()
        self.shows('users__row_app@%__action_edit_user', html)
        self.hides('__action_manage_access', html)

    def test_actions_only_while_the_engine_runs(self):
        table = detail_tables.UsersTable(self.request, instance_id=ID,
                                         instance=helpers.instance('RESIZE'))
        table.kwargs['instance'].capabilities = frozenset({'users', 'databases'})
        for action in (detail_tables.EditUser, detail_tables.ManageAccess):
            self.assertFalse(action(table=table).allowed(self.request, helpers.user('app')))
        table.kwargs['instance'].status = 'ACTIVE'
        for action in (detail_tables.EditUser, detail_tables.ManageAccess):
            self.assertTrue(action(table=table).allowed(self.request, helpers.user('app')))


class EditUserTests(PageTestCase):

    def setUp(self):
        super().setUp()
        # The form asks the instance's version whether users have a host (MariaDB's do).
        self.calls = {}
        for name, value in (('instance_get', helpers.instance()),
                            ('datastore_list', helpers.datastore_list())):
            patcher = mock.patch.object(trove, name, return_value=value)
            self.calls[name] = patcher.start()
            self.addCleanup(patcher.stop)

    def test_form_shows_who_is_edited_in_two_calls(self):
        res = self.client.get(page('edit_user', 'app@10.%'))
        self.assertEqual({'instance_get': 1, 'datastore_list': 1},
                         {name: call.call_count for name, call in self.calls.items()})
        form = res.context['form']
        self.assertEqual(('app', '10.%'), (form.initial['name'], form.initial['host']))
        html = res.content.decode()
        # It posts back to the same user, and Cancel returns to the users.
        self.shows('action="%s"' % page('edit_user', 'app@10.%'), html)
        self.shows('href="%s"' % USERS_TAB, html)

    def test_a_page_without_a_user_is_not_found(self):
        self.assertEqual(404, self.client.get(
            reverse('horizon:project:databases:edit_user', args=[ID])).status_code)

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_only_the_new_password_is_sent(self):
        res = self.client.post(page('edit_user', 'app@%'), edit(
            new_password='N3w-secret', confirm_password='N3w-secret', new_name='app',
            new_host='%'))
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, USERS_TAB)
        self.mock_user_update.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', '%', {'password': 'N3w-secret'})

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_rename_and_move_keep_the_password(self):
        res = self.client.post(page('edit_user', 'app@%'),
                               edit(new_name='shop', new_host='10.%'))
        self.assertNoFormErrors(res)
        self.mock_user_update.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', '%', {'name': 'shop', 'host': '10.%'})

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_the_url_names_the_user_not_the_posted_fields(self):
        self.client.post(page('edit_user', 'app@%'),
                         edit(name='root', host='%', new_name='shop'))
        self.mock_user_update.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', '%', {'name': 'shop'})

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_passwords_must_match(self):
        res = self.client.post(page('edit_user', 'app@%'), edit(
            new_password='N3w-secret', confirm_password='other'))
        self.assertEqual(['The two passwords do not match.'],
                         res.context['form'].errors['confirm_password'])
        self.mock_user_update.assert_not_called()

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_a_confirmation_alone_is_not_a_password(self):
        res = self.client.post(page('edit_user', 'app@%'), edit(confirm_password='x'))
        self.assertIn('confirm_password', res.context['form'].errors)
        self.mock_user_update.assert_not_called()

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_nothing_changed_is_said_in_words(self):
        res = self.client.post(page('edit_user', 'app@%'), edit(new_name='app', new_host='%'))
        self.assertEqual(['Nothing to change: enter a new name, a new password or a new host.'],
                         res.context['form'].non_field_errors())
        self.mock_user_update.assert_not_called()

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_a_password_with_spaces_is_refused(self):
        res = self.client.post(page('edit_user', 'app@%'), edit(
            new_password='a b', confirm_password='a b'))
        self.assertEqual(['The password cannot contain spaces.'],
                         res.context['form'].errors['new_password'])
        self.mock_user_update.assert_not_called()

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_refusals_land_on_their_field(self):
        for message, field in (("User 'shop@%' already exists.", 'new_name'),
                               ("Host 'a b' may contain only letters, digits and . % _ : / -.",
                                'new_host'),
                               ('The password must be at most 256 characters and contain no '
                                'NUL character.', 'new_password')):
            self.mock_user_update.side_effect = helpers.api_error(409, message)
            res = self.client.post(page('edit_user', 'app@%'), edit(new_name='shop'))
            self.assertEqual([message], res.context['form'].errors[field], field)

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_a_refusal_about_the_instance_shows_above_the_fields(self):
        message = 'Instance db1 is RESIZE; this needs it to be ACTIVE.'
        self.mock_user_update.side_effect = helpers.api_error(409, message)
        res = self.client.post(page('edit_user', 'app@%'), edit(new_name='shop'))
        self.assertEqual([message], res.context['form'].non_field_errors())

    def test_changes_of(self):
        self.assertEqual({}, user_forms.changes_of('app', '%', {'new_name': 'app',
                                                                 'new_host': '%'}))
        self.assertEqual({'host': 'localhost'}, user_forms.changes_of(
            'app', '%', {'new_name': '', 'new_host': 'localhost', 'new_password': ''}))


class ManageAccessTests(PageTestCase):

    def mock_access(self, databases=('orders', 'shop', 'stock'), granted=('shop',), more=None,
                    status='ACTIVE'):
        self.mock_instance_get.return_value = helpers.instance(status)
        self.mock_database_list.return_value = ([helpers.database(d) for d in databases], more)
        self.mock_user_access.return_value = list(granted)

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access',)})
    def test_lists_databases_with_the_users_access_in_three_calls(self):
        self.mock_access()
        res = self.client.get(page('user_access', 'app@10.%'))
        self.assertTemplateUsed(res, 'project/databases/user_access.html')
        rows = {r.name: r.access for r in res.context['table'].data}
        self.assertEqual({'orders': False, 'shop': True, 'stock': False}, rows)
        html = res.content.decode()
        # Grant where there is no access, Revoke where there is.
        self.shows('access__grant__orders', html)
        self.hides('access__revoke__orders', html)
        self.shows('access__revoke__shop', html)
        self.hides('access__grant__shop', html)
        self.shows('Not granted', html)
        self.shows('Manage Access of &quot;app@10.%&quot;', html)
        self.shows('The databases of instance "db1" and whether user "app@10.%" may use them',
                   html)
        self.mock_user_access.assert_called_once_with(helpers.IsHttpRequest(), ID, 'app', '10.%')
        for mocked in (self.mock_instance_get, self.mock_database_list):
            self.assertEqual(1, mocked.call_count)

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access',)})
    def test_next_page_stays_with_the_user(self):
        self.mock_access(more='stock')
        html = self.client.get(page('user_access', 'app@%') + '&access_marker=a').content.decode()
        self.mock_database_list.assert_called_once_with(helpers.IsHttpRequest(), ID,
                                                        marker='a')
        self.shows('?user=app%40%25&amp;access_marker=stock', html)

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access', 'user_grant')})
    def test_grant(self):
        self.mock_access()
        url = page('user_access', 'app@%')
        res = self.client.post(url, {'action': 'access__grant__orders'})
        self.assertRedirectsNoFollow(res, url)
        self.mock_user_grant.assert_called_once_with(helpers.IsHttpRequest(), ID, 'app', '%',
                                                     ['orders'])

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access', 'user_revoke')})
    def test_revoke_asks_to_confirm_and_revokes(self):
        self.mock_access()
        url = page('user_access', 'app@%')
        html = self.client.get(url).content.decode()
        self.assertRegex(html, r'btn-danger[^>]*access__revoke__shop|'
                               r'access__revoke__shop[^>]*btn-danger')
        self.client.post(url, {'action': 'access__revoke__shop'})
        self.mock_user_revoke.assert_called_once_with(helpers.IsHttpRequest(), ID, 'app', '%',
                                                      'shop')

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access', 'user_grant')})
    def test_a_refused_grant_says_why(self):
        self.mock_access()
        self.mock_user_grant.side_effect = helpers.api_error(404, "Database 'orders' does not "
                                                                  'exist.')
        res = self.client.post(page('user_access', 'app@%'), {'action': 'access__grant__orders'},
                               follow=True)
        shown = [str(m) for m in res.context['messages']]
        self.assertEqual(["Database 'orders' does not exist."], shown)

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access',)})
    def test_asks_the_engine_nothing_while_not_active(self):
        self.mock_access(status='BACKUP')
        html = self.client.get(page('user_access', 'app@%')).content.decode()
        self.shows('answers only while the instance is Active', html)
        self.mock_database_list.assert_not_called()
        self.mock_user_access.assert_not_called()

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access',)})
    def test_a_user_gone_meanwhile_returns_to_the_users(self):
        self.mock_access()
        self.mock_user_access.side_effect = helpers.api_error(404, "User 'app@%' does not "
                                                                   'exist.')
        res = self.client.get(page('user_access', 'app@%'))
        self.assertRedirectsNoFollow(res, USERS_TAB)

    @helpers.create_mocks({trove: ('instance_get', 'database_list'),
                           users_api: ('user_access',)})
    def test_breadcrumb_leads_back_to_the_instance_and_its_users(self):
        self.mock_access()
        html = self.client.get(page('user_access', 'app@%')).content.decode()
        self.shows('href="%s"' % DETAIL_URL, html)
        self.shows('href="%s"' % USERS_TAB, html)
