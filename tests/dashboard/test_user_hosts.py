"""Host only where users have one (issue #14): a MariaDB version declares `user_hosts`,
a PostgreSQL one does not, and there Create User, Edit User and the Users tab show no
host (the API would refuse one in words)."""
from unittest import mock
from urllib import parse

from django.urls import reverse
from troveclient.v1 import datastores

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard.api import users as users_api
from trove_dashboard.content.databases import detail_tables
from trove_dashboard.content.databases.workflows import steps

ID = helpers.INSTANCE_ID
PG_ID, PG_16 = helpers.uuid_for('ds-postgresql'), helpers.uuid_for('v-postgresql-16')


def datastores_with_postgresql():
    found = helpers.datastore_list()
    found.append(datastores.Datastore(datastores.Datastores(None), {
        'id': PG_ID, 'name': 'postgresql', 'default_version': PG_16, 'links': [],
        'versions': [{'id': PG_16, 'name': '16', 'version': '16.4', 'active': True,
                      'links': [], 'capabilities': ['access', 'databases', 'root', 'users']}]},
        loaded=True))
    return found


def pg_instance():
    return helpers.instance(datastore='postgresql', version='16')


def page(name, user=None):
    url = reverse('horizon:project:databases:%s' % name, args=[ID])
    return url + ('?' + parse.urlencode({'user': user}) if user else '')


class UserFormsTests(helpers.TestCase):

    def setUp(self):
        super().setUp()
        self.instance = pg_instance()
        patchers = [mock.patch.object(trove, 'instance_get',
                                      side_effect=lambda *args: self.instance),
                    mock.patch.object(trove, 'datastore_list',
                                      return_value=datastores_with_postgresql())]
        for patcher in patchers:
            patcher.start()
            self.addCleanup(patcher.stop)

    def fields_of(self, name, user=None):
        return set(self.client.get(page(name, user)).context['form'].fields)

    def test_create_user_shows_host_only_where_users_have_one(self):
        self.assertNotIn('host', self.fields_of('create_user'))
        self.instance = helpers.instance()        # MariaDB
        self.assertIn('host', self.fields_of('create_user'))

    def test_edit_user_shows_new_host_only_where_users_have_one(self):
        self.assertFalse({'host', 'new_host'} & self.fields_of('edit_user', 'app@%'))
        html = self.client.get(page('edit_user', 'app@%')).content.decode()
        self.assertIn('A new name keeps the user', html)
        self.instance = helpers.instance()        # MariaDB
        self.assertTrue({'host', 'new_host'} <= self.fields_of('edit_user', 'app@%'))

    @helpers.create_mocks({trove: ('user_create',)})
    def test_a_posted_host_never_reaches_a_postgresql_instance(self):
        res = self.client.post(page('create_user'), {
            'instance_id': ID, 'name': 'app', 'password': 'pw', 'host': '10.0.0.%',
            'databases': ''})
        self.assertNoFormErrors(res)
        self.mock_user_create.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', 'pw', host=None, databases=[])

    @helpers.create_mocks({users_api: ('user_update',)})
    def test_edit_user_on_postgresql_sends_no_host_and_says_what_may_change(self):
        data = {'instance_id': ID, 'name': 'app', 'host': '%', 'new_name': '',
                'new_password': '', 'confirm_password': '', 'new_host': 'localhost'}
        res = self.client.post(page('edit_user', 'app@%'), data)
        self.assertEqual(['Nothing to change: enter a new name or a new password.'],
                         res.context['form'].non_field_errors())
        res = self.client.post(page('edit_user', 'app@%'), dict(data, new_name='shop'))
        self.assertNoFormErrors(res)
        self.mock_user_update.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', '%', {'name': 'shop'})


class UsersTableTests(helpers.TestCase):

    def columns_for(self, instance, capabilities):
        instance.capabilities = frozenset(capabilities)
        return list(detail_tables.UsersTable(self.request, instance_id=ID,
                                             instance=instance).columns)

    def test_host_column_only_where_users_have_one(self):
        self.assertNotIn('host', self.columns_for(pg_instance(), {'users', 'databases'}))
        self.assertIn('host', self.columns_for(helpers.instance(),
                                               {'users', 'databases', 'user_hosts'}))


class LaunchHostTests(helpers.TestCase):
    """The Launch dialog's initial user: a host field only for versions with user hosts."""

    def action_for(self, capabilities):
        version = mock.Mock(capabilities=frozenset(capabilities), datastore_name='x')
        launch = mock.Mock(version=version)
        launch.choices.capabilities = frozenset(capabilities)
        return steps.InitializeDatabasesAction(self.request, {'launch': launch})

    def test_launch_host_is_offered_by_user_hosts(self):
        pg = self.action_for({'databases', 'users'})
        self.assertTrue(pg.fields['host'].disabled)
        self.assertFalse(pg.fields['user'].disabled)
        self.assertEqual('user_hosts', pg.fields['host'].widget.attrs['data-launch-feature'])
        maria = self.action_for({'databases', 'users', 'user_hosts'})
        self.assertFalse(maria.fields['host'].disabled)


