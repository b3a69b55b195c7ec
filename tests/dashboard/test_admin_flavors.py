"""The Admin dashboard's Flavors and Volume Types panel: both tables in two calls, each form
sending the right call with the right values, the API's refusals in its own words, the
schema's ranges checked before sending, and the panel closed to non-admins."""
import html

from django.urls import reverse
from troveclient.v1 import flavors
from troveclient.v1 import volume_types

from tests.dashboard import helpers
from trove_dashboard.api import admin_flavors as api

INDEX_URL = reverse('horizon:admin:database_flavors:index')
FLAVORS_TAB = INDEX_URL + '?tab=database_flavors__flavors_tab'
VOLUME_TYPES_TAB = INDEX_URL + '?tab=database_flavors__volume_types_tab'
CREATE_FLAVOR_URL = reverse('horizon:admin:database_flavors:create_flavor')
EDIT_FLAVOR_URL = reverse('horizon:admin:database_flavors:edit_flavor', args=['2'])
CREATE_VT_URL = reverse('horizon:admin:database_flavors:create_volume_type')
EDIT_VT_URL = reverse('horizon:admin:database_flavors:edit_volume_type', args=['vt-fast'])
IN_USE = "Flavor 'db.small' is in use by 1 instance(s); resize or delete them first."


def page(res):
    return html.unescape(res.content.decode())


def flavor(flavor_id='2', name='db.small', ram=512, vcpus=1, disk=0, ephemeral=0):
    numeric = flavor_id.isdigit()
    return flavors.Flavor(flavors.Flavors(None), {
        'id': int(flavor_id) if numeric else None, 'str_id': flavor_id, 'name': name,
        'ram': ram, 'vcpus': vcpus, 'disk': disk, 'ephemeral': ephemeral, 'links': []},
        loaded=True)


def volume_type(name='fast', description='Fast root', is_public=True, root_path=None):
    return volume_types.VolumeType(volume_types.VolumeTypes(None), {
        'id': 'vt-%s' % name, 'name': name, 'description': description,
        'is_public': is_public, 'root_path': root_path}, loaded=True)


def flavor_form(**changes):
    data = {'name': 'db.large', 'flavor_id': '', 'ram': '2048', 'vcpus': '2', 'disk': '10',
            'ephemeral': '0'}
    data.update(changes)
    return data


class AdminTestCase(helpers.TestCase):
    """Logged in as an admin of a project whose catalog has `database`."""

    def setActiveUser(self, *args, **kwargs):
        kwargs['roles'] = list(kwargs.get('roles') or []) + [self.roles.admin._info]
        super().setActiveUser(*args, **kwargs)


class IndexTests(AdminTestCase):

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list')})
    def test_both_tables_render_in_two_calls(self):
        self.mock_flavor_list.return_value = helpers.flavor_list() + [
            flavor('web-xl', 'web.xl', ram=8192, vcpus=4, disk=20, ephemeral=5)]
        self.mock_volume_type_list.return_value = [
            volume_type('fast'), volume_type('cold', '', is_public=False, root_path='/srv/cold')]
        res = self.client.get(INDEX_URL)
        self.assertTemplateUsed(res, 'admin/database_flavors/index.html')
        text = page(res)
        for expected in ('db.tiny', 'db.medium', '256 MB', '8192 MB', 'web.xl', 'web-xl',
                         '20 GB', '5 GB', 'fast', 'Fast root', 'cold', 'Create Flavor',
                         'Create Volume Type', 'Edit Flavor', 'Delete Flavor'):
            self.assertIn(expected, text)
        flavors_table = res.context['tab_group'].get_tab('flavors_tab')._tables['flavors']
        self.assertEqual(['1', '2', '3', 'web-xl'],
                         [flavors_table.get_object_id(f) for f in flavors_table.data])
        public = [r.cells['is_public'].data for r in res.context['tab_group'].get_tab(
            'volume_types_tab')._tables['volume_types'].get_rows()]
        self.assertEqual(['No', 'Yes'], [str(p) for p in public])
        # Private types are listed too (GET /mgmt/volume-types), with their directory.
        roots = [r.cells['root_path'].data for r in res.context['tab_group'].get_tab(
            'volume_types_tab')._tables['volume_types'].get_rows()]
        self.assertEqual(['/srv/cold', 'Default'], [str(r) for r in roots])
        self.assertEqual(1, self.mock_flavor_list.call_count)
        self.assertEqual(1, self.mock_volume_type_list.call_count)

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list')})
    def test_a_failed_list_says_so_and_the_other_table_stays(self):
        self.mock_flavor_list.side_effect = helpers.api_error(500, 'boom')
        self.mock_volume_type_list.return_value = [volume_type('fast')]
        res = self.client.get(INDEX_URL)
        self.assertEqual(200, res.status_code)
        self.assertIn('fast', page(res))
        self.assertMessageCount(res, error=1)

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list', 'flavor_delete')})
    def test_delete_flavor_sends_its_id(self):
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_volume_type_list.return_value = []
        res = self.client.post(FLAVORS_TAB, {'action': 'flavors__delete__2'})
        self.assertNoFormErrors(res)
        self.mock_flavor_delete.assert_called_once_with(helpers.IsHttpRequest(), '2')
        self.assertMessageCount(success=1)

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list', 'flavor_delete')})
    def test_delete_of_a_flavor_in_use_shows_the_api_words_only(self):
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_volume_type_list.return_value = []
        self.mock_flavor_delete.side_effect = helpers.api_error(409, IN_USE)
        res = self.client.post(FLAVORS_TAB, {'action': 'flavors__delete__2'}, follow=True)
        messages = [str(m) for m in res.context['messages']]
        self.assertEqual([IN_USE], messages)

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list', 'volume_type_delete')})
    def test_delete_volume_type_sends_its_id_and_shows_a_refusal(self):
        self.mock_flavor_list.return_value = []
        self.mock_volume_type_list.return_value = [volume_type('fast')]
        refusal = "Volume type 'fast' is in use by 2 instance(s)."
        self.mock_volume_type_delete.side_effect = helpers.api_error(409, refusal)
        res = self.client.post(VOLUME_TYPES_TAB, {'action': 'volume_types__delete__vt-fast'},
                               follow=True)
        self.mock_volume_type_delete.assert_called_once_with(helpers.IsHttpRequest(),
                                                             'vt-fast')
        self.assertEqual([refusal], [str(m) for m in res.context['messages']])


class FlavorFormTests(AdminTestCase):

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_create_sends_the_sizes_and_an_automatic_id(self):
        self.mock_flavor_create.return_value = flavor('4', 'db.large')
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form())
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, FLAVORS_TAB)
        self.mock_flavor_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'db.large', 2048, 2, disk=10, ephemeral=0,
            flavor_id=None)

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_create_with_an_id_of_its_own(self):
        self.mock_flavor_create.return_value = flavor('db-large', 'db.large')
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form(flavor_id=' db-large '))
        self.assertNoFormErrors(res)
        self.assertEqual('db-large', self.mock_flavor_create.call_args.kwargs['flavor_id'])

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_create_checks_the_schema_ranges_before_sending(self):
        for field, value in (('ram', '0'), ('vcpus', '0'), ('vcpus', '4097'), ('disk', '-1'),
                             ('ephemeral', '-1'), ('ram', str(2 ** 31)), ('name', ''),
                             ('flavor_id', 'x' * 37), ('name', 'n' * 256)):
            res = self.client.post(CREATE_FLAVOR_URL, flavor_form(**{field: value}))
            self.assertIn(field, res.context['form'].errors, (field, value))
        self.mock_flavor_create.assert_not_called()

    def test_create_inputs_carry_the_ranges_for_the_browser(self):
        form = self.client.get(CREATE_FLAVOR_URL).context['form']
        self.assertEqual(('1', '4096'), (str(form.fields['vcpus'].widget.attrs['min']),
                                         str(form.fields['vcpus'].widget.attrs['max'])))
        self.assertEqual('1', str(form.fields['ram'].widget.attrs['min']))
        self.assertEqual('0', str(form.fields['disk'].widget.attrs['min']))

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_a_taken_name_lands_on_the_name(self):
        refusal = "The name 'db.large' is already taken (id 4)."
        self.mock_flavor_create.side_effect = helpers.api_error(409, refusal)
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form())
        self.assertEqual([refusal], res.context['form'].errors['name'])

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_a_taken_id_lands_on_the_id(self):
        refusal = "Flavor '7' already exists."
        self.mock_flavor_create.side_effect = helpers.api_error(409, refusal)
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form(flavor_id='7'))
        self.assertEqual([refusal], res.context['form'].errors['flavor_id'])

    @helpers.create_mocks({api: ('flavor_create',)})
    def test_a_value_the_api_refuses_lands_on_its_field(self):
        refusal = "'flavor.ram' must be from 1 to 2147483647, not 0."
        self.mock_flavor_create.side_effect = helpers.api_error(400, refusal)
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form())
        self.assertEqual([refusal], res.context['form'].errors['ram'])

    @helpers.create_mocks({api: ('flavor_get',)})
    def test_edit_shows_the_flavor(self):
        self.mock_flavor_get.return_value = flavor('2', 'db.small', ram=512, disk=3)
        form = self.client.get(EDIT_FLAVOR_URL).context['form']
        self.assertEqual(('db.small', 512, 1, 3, 0), tuple(
            form.fields[n].initial for n in ('name', 'ram', 'vcpus', 'disk', 'ephemeral')))
        self.assertNotIn('flavor_id', form.fields)
        self.mock_flavor_get.assert_called_once_with(helpers.IsHttpRequest(), '2')

    @helpers.create_mocks({api: ('flavor_get', 'flavor_update')})
    def test_edit_sends_only_what_changed(self):
        self.mock_flavor_get.return_value = flavor('2', 'db.small', ram=512)
        self.mock_flavor_update.return_value = flavor('2', 'db.small', ram=1024, vcpus=2)
        res = self.client.post(EDIT_FLAVOR_URL, {'name': 'db.small', 'ram': '1024',
                                                 'vcpus': '2', 'disk': '0',
                                                 'ephemeral': '0'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, FLAVORS_TAB)
        self.mock_flavor_update.assert_called_once_with(helpers.IsHttpRequest(), '2',
                                                        ram=1024, vcpus=2)

    @helpers.create_mocks({api: ('flavor_get', 'flavor_update')})
    def test_edit_without_changes_sends_nothing(self):
        self.mock_flavor_get.return_value = flavor('2', 'db.small', ram=512)
        res = self.client.post(EDIT_FLAVOR_URL, {'name': 'db.small', 'ram': '512',
                                                 'vcpus': '1', 'disk': '0',
                                                 'ephemeral': '0'})
        self.assertNoFormErrors(res)
        self.mock_flavor_update.assert_not_called()

    @helpers.create_mocks({api: ('flavor_get', 'flavor_update')})
    def test_edit_refusal_of_a_taken_name(self):
        self.mock_flavor_get.return_value = flavor('2', 'db.small')
        refusal = "The name 'db.tiny' is already taken (id 1)."
        self.mock_flavor_update.side_effect = helpers.api_error(409, refusal)
        res = self.client.post(EDIT_FLAVOR_URL, {'name': 'db.tiny', 'ram': '512',
                                                 'vcpus': '1', 'disk': '0',
                                                 'ephemeral': '0'})
        self.assertEqual([refusal], res.context['form'].errors['name'])
        self.mock_flavor_update.assert_called_once_with(helpers.IsHttpRequest(), '2',
                                                        name='db.tiny')


class VolumeTypeFormTests(AdminTestCase):

    @helpers.create_mocks({api: ('volume_type_create',)})
    def test_create_sends_name_description_visibility_and_root(self):
        self.mock_volume_type_create.return_value = volume_type('cold')
        res = self.client.post(CREATE_VT_URL, {'name': 'cold', 'description': 'Archive',
                                               'root_path': '/srv/cold'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, VOLUME_TYPES_TAB)
        self.mock_volume_type_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'cold', description='Archive', is_public=False,
            root_path='/srv/cold')

    @helpers.create_mocks({api: ('volume_type_create',)})
    def test_create_public_with_the_default_root(self):
        self.mock_volume_type_create.return_value = volume_type('ssd')
        res = self.client.post(CREATE_VT_URL, {'name': 'ssd', 'description': '',
                                               'is_public': 'on', 'root_path': ''})
        self.assertNoFormErrors(res)
        self.mock_volume_type_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'ssd', description='', is_public=True, root_path=None)

    @helpers.create_mocks({api: ('volume_type_create',)})
    def test_create_checks_the_schema_before_sending(self):
        for field, value in (('root_path', 'relative/dir'), ('name', ''),
                             ('description', 'd' * 256), ('root_path', '/' + 'r' * 1024)):
            data = {'name': 'cold', 'description': '', 'root_path': ''}
            data[field] = value
            res = self.client.post(CREATE_VT_URL, data)
            self.assertIn(field, res.context['form'].errors, (field, value))
        self.mock_volume_type_create.assert_not_called()

    @helpers.create_mocks({api: ('volume_type_create',)})
    def test_a_duplicate_name_lands_on_the_name(self):
        refusal = "The name 'fast' is already taken (id vt-fast)."
        self.mock_volume_type_create.side_effect = helpers.api_error(409, refusal)
        res = self.client.post(CREATE_VT_URL, {'name': 'fast', 'description': ''})
        self.assertEqual([refusal], res.context['form'].errors['name'])

    @helpers.create_mocks({api: ('volume_type_create',)})
    def test_a_refused_root_lands_on_its_field(self):
        refusal = ("'volume_type.root_path' must be an absolute path (starting with '/'), "
                   "not 'x'.")
        self.mock_volume_type_create.side_effect = helpers.api_error(400, refusal)
        res = self.client.post(CREATE_VT_URL, {'name': 'cold', 'root_path': '/srv'})
        self.assertEqual([refusal], res.context['form'].errors['root_path'])

    @helpers.create_mocks({api: ('volume_type_get', 'volume_type_update')})
    def test_edit_sends_only_what_changed(self):
        self.mock_volume_type_get.return_value = volume_type('fast', 'Fast root')
        self.mock_volume_type_update.return_value = volume_type('fast', 'NVMe', False)
        res = self.client.post(EDIT_VT_URL, {'name': 'fast', 'description': 'NVMe'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, VOLUME_TYPES_TAB)
        self.mock_volume_type_get.assert_called_once_with(helpers.IsHttpRequest(), 'vt-fast')
        self.mock_volume_type_update.assert_called_once_with(
            helpers.IsHttpRequest(), 'vt-fast', description='NVMe', is_public=False)

    @helpers.create_mocks({api: ('volume_type_get', 'volume_type_update')})
    def test_edit_form_shows_the_type(self):
        self.mock_volume_type_get.return_value = volume_type('fast', 'Fast root', False)
        form = self.client.get(EDIT_VT_URL).context['form']
        self.assertEqual(('fast', 'Fast root', False), tuple(
            form.fields[n].initial for n in ('name', 'description', 'is_public')))
        self.mock_volume_type_update.assert_not_called()


class NonAdminTests(helpers.TestCase):
    """A member of the project (no admin role) never reaches the panel or its API calls."""

    @helpers.create_mocks({api: ('flavor_list', 'volume_type_list', 'flavor_create')})
    def test_member_is_refused(self):
        for url in (INDEX_URL, CREATE_FLAVOR_URL, EDIT_FLAVOR_URL, CREATE_VT_URL):
            res = self.client.get(url)
            self.assertEqual(403, res.status_code, url)
        res = self.client.post(CREATE_FLAVOR_URL, flavor_form())
        self.assertEqual(403, res.status_code)
        self.mock_flavor_list.assert_not_called()
        self.mock_volume_type_list.assert_not_called()
        self.mock_flavor_create.assert_not_called()


class VolumeTypeListCallTests(helpers.TestCase):
    """volume_type_list is one call to the operators' list, private types included."""

    def test_lists_every_type_from_the_mgmt_api(self):
        from unittest import mock
        client = mock.Mock()
        client.client.get.return_value = (None, {'volume_types': [
            {'id': 'vt-cold', 'name': 'cold', 'is_public': False, 'root_path': '/srv/cold'}]})
        with mock.patch.object(api.trove, 'troveclient', return_value=client):
            found = api.volume_type_list(mock.sentinel.request)
        client.client.get.assert_called_once_with('/mgmt/volume-types')
        self.assertEqual([('cold', False, '/srv/cold')],
                         [(vt.name, vt.is_public, vt.root_path) for vt in found])
