"""Modal forms on an instance: rename, resize, root, databases and users."""
from unittest import mock

from django.urls import reverse

from tests.dashboard import helpers
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:project:databases:index')
ID = helpers.INSTANCE_ID


def url(name):
    return reverse('horizon:project:databases:%s' % name, args=[ID])


def detail_tab(tab):
    return '%s?tab=instance_details__%s' % (
        reverse('horizon:project:databases:detail', args=[ID]), tab)


class RenameTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_get', 'instance_rename')})
    def test_form_shows_the_current_name(self):
        self.mock_instance_get.return_value = helpers.instance(name='old')
        res = self.client.get(url('rename'))
        self.assertTemplateUsed(res, 'project/databases/form_page.html')
        self.assertEqual('old', res.context['form'].initial['name'])

    @helpers.create_mocks({trove: ('instance_get', 'instance_rename')})
    def test_rename(self):
        self.mock_instance_get.return_value = helpers.instance(name='old')
        res = self.client.post(url('rename'), {'instance_id': ID, 'name': 'new'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_instance_rename.assert_called_once_with(helpers.IsHttpRequest(), ID, 'new')

    @helpers.create_mocks({trove: ('instance_get', 'instance_rename')})
    def test_refusal_shows_on_the_name(self):
        self.mock_instance_get.return_value = helpers.instance(name='old')
        self.mock_instance_rename.side_effect = helpers.api_error(
            409, 'Instance x is DELETING; rename needs it to be ACTIVE.')
        res = self.client.post(url('rename'), {'instance_id': ID, 'name': 'new'})
        self.assertEqual(['Instance x is DELETING; rename needs it to be ACTIVE.'],
                         res.context['form'].errors['name'])


class ResizeVolumeTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_get', 'instance_resize_volume')})
    def test_grows_the_volume(self):
        self.mock_instance_get.return_value = helpers.instance()
        res = self.client.post(url('resize_volume'), {'instance_id': ID, 'new_size': '5'})
        self.assertNoFormErrors(res)
        self.mock_instance_resize_volume.assert_called_once_with(helpers.IsHttpRequest(), ID, 5)

    @helpers.create_mocks({trove: ('instance_get', 'instance_resize_volume')})
    def test_must_grow(self):
        self.mock_instance_get.return_value = helpers.instance()   # 2 GB
        res = self.client.post(url('resize_volume'), {'instance_id': ID, 'new_size': '2'})
        self.assertIn('larger than the current 2 GB',
                      str(res.context['form'].errors['new_size']))
        self.mock_instance_resize_volume.assert_not_called()

    @helpers.create_mocks({trove: ('instance_get', 'instance_resize_volume')})
    def test_quota_refusal_on_the_size(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_instance_resize_volume.side_effect = helpers.api_error(
            413, 'Quota exceeded for resources: volumes (limit 3).')
        res = self.client.post(url('resize_volume'), {'instance_id': ID, 'new_size': '9'})
        self.assertEqual(['Quota exceeded for resources: volumes (limit 3).'],
                         res.context['form'].errors['new_size'])

    @helpers.create_mocks({trove: ('instance_get', 'instance_resize_volume')})
    def test_server_failure_goes_to_horizons_error_handling(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_instance_resize_volume.side_effect = helpers.api_error(500, 'boom')
        res = self.client.post(url('resize_volume'), {'instance_id': ID, 'new_size': '9'})
        self.assertRedirectsNoFollow(res, INDEX_URL)


class ResizeFlavorTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_get', 'version_flavors', 'instance_resize_flavor')})
    def test_offers_the_versions_other_flavors(self):
        self.mock_instance_get.return_value = helpers.instance()   # flavor 2
        self.mock_version_flavors.return_value = helpers.flavor_list()

        res = self.client.get(url('resize_flavor'))

        form = res.context['form']
        self.assertEqual(['', '1', '3'], [v for v, _l in form.fields['new_flavor'].choices])
        # The same labels as Launch Instance's flavor choices (catalogue.flavor_label).
        self.assertEqual(['db.tiny (1 VCPU, 256 MB RAM)', 'db.medium (1 VCPU, 1024 MB RAM)'],
                         [str(label) for _v, label in form.fields['new_flavor'].choices[1:]])
        self.assertEqual('db.small (1 VCPU, 512 MB RAM)', form.initial['current_flavor'])
        self.mock_version_flavors.assert_called_once_with(helpers.IsHttpRequest(), 'mariadb',
                                                          '10.11')

    @helpers.create_mocks({trove: ('instance_get', 'version_flavors', 'instance_resize_flavor')})
    def test_resize(self):
        self.mock_instance_get.return_value = helpers.instance()
        self.mock_version_flavors.return_value = helpers.flavor_list()
        res = self.client.post(url('resize_flavor'), {'instance_id': ID, 'new_flavor': '3'})
        self.assertNoFormErrors(res)
        self.mock_instance_resize_flavor.assert_called_once_with(helpers.IsHttpRequest(), ID,
                                                                 '3')


class EnableRootTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('instance_get', 'root_enable')})
    def test_password_is_shown_once_in_the_modal(self):
        self.mock_instance_get.return_value = helpers.instance(name='db1')
        self.mock_root_enable.return_value = ('root', 'Xy9-generated')

        res = self.client.post(url('enable_root'), {'instance_id': ID},
                               HTTP_X_REQUESTED_WITH='XMLHttpRequest')

        self.assertEqual(200, res.status_code)
        self.assertTemplateUsed(res, 'project/databases/_root_password.html')
        self.assertTrue('Xy9-generated' in res.content.decode())
        self.mock_root_enable.assert_called_once_with(helpers.IsHttpRequest(), ID)

    @helpers.create_mocks({trove: ('instance_get', 'root_enable')})
    def test_refusal_is_shown_on_the_form(self):
        self.mock_instance_get.return_value = helpers.instance(name='db1')
        self.mock_root_enable.side_effect = helpers.api_error(
            400, 'redis instances do not support root.')
        res = self.client.post(url('enable_root'), {'instance_id': ID})
        self.assertEqual(['redis instances do not support root.'],
                         res.context['form'].non_field_errors())


class CreateDatabaseTests(helpers.TestCase):

    @helpers.create_mocks({trove: ('database_create',)})
    def test_create_returns_to_the_databases_tab(self):
        res = self.client.post(url('create_database'),
                               {'instance_id': ID, 'name': 'shop', 'character_set': 'utf8mb4',
                                'collation': ''})
        self.assertRedirectsNoFollow(res, detail_tab('databases'))
        self.mock_database_create.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'shop', character_set='utf8mb4', collate='')

    @helpers.create_mocks({trove: ('database_create',)})
    def test_refusal_on_the_name(self):
        self.mock_database_create.side_effect = helpers.api_error(
            400, "Database 'mysql' is reserved.")
        res = self.client.post(url('create_database'), {'instance_id': ID, 'name': 'mysql'})
        self.assertEqual(["Database 'mysql' is reserved."], res.context['form'].errors['name'])


class CreateUserTests(helpers.TestCase):

    def setUp(self):
        super().setUp()
        # The form asks the instance's version whether users have a host (MariaDB's do).
        for name, value in (('instance_get', helpers.instance()),
                            ('datastore_list', helpers.datastore_list())):
            patcher = mock.patch.object(trove, name, return_value=value)
            patcher.start()
            self.addCleanup(patcher.stop)

    @helpers.create_mocks({trove: ('user_create',)})
    def test_create_with_access_to_databases(self):
        res = self.client.post(url('create_user'), {
            'instance_id': ID, 'name': 'app', 'password': 'pw', 'host': '',
            'databases': 'shop, stock'})
        self.assertRedirectsNoFollow(res, detail_tab('users'))
        self.mock_user_create.assert_called_once_with(
            helpers.IsHttpRequest(), ID, 'app', 'pw', host=None, databases=['shop', 'stock'])

    @helpers.create_mocks({trove: ('user_create',)})
    def test_unknown_database_refusal_lands_on_databases(self):
        self.mock_user_create.side_effect = helpers.api_error(
            404, "Database 'nope' does not exist.")
        res = self.client.post(url('create_user'), {
            'instance_id': ID, 'name': 'app', 'password': 'pw', 'databases': 'nope'})
        self.assertEqual(["Database 'nope' does not exist."],
                         res.context['form'].errors['databases'])

    def test_every_field_has_a_label(self):
        res = self.client.get(url('create_user'))
        html = res.content.decode()
        for name in ('name', 'password', 'host', 'databases'):
            self.assertTrue('for="id_%s"' % name in html, name)
