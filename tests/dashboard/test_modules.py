"""The Modules panel: list, detail, create (contents from a file, sent through troveclient),
admin-only fields for admins only, edit and delete."""
import base64
import copy
import html
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy as auth_policy
from troveclient.v1 import modules as trove_modules

from tests.dashboard import helpers
from trove_dashboard.api import modules as modules_api
from trove_dashboard.api import trove

INDEX_URL = reverse('horizon:project:database_modules:index')
CREATE_URL = reverse('horizon:project:database_modules:create')
MODULE_CAPS = ['access', 'databases', 'modules', 'root', 'users']
ADMIN_FIELDS = {'all_tenants', 'auto_apply', 'visible', 'priority_apply', 'full_access'}
ADMIN_ROLE = {'id': '1', 'name': 'admin'}
MEMBER_ROLE = {'id': '2', 'name': 'member'}


def datastore_list():
    """MariaDB takes modules; Redis does not."""
    found = helpers.datastore_list()
    found[0].versions[0]['capabilities'] = list(MODULE_CAPS)
    return found


def module(label='licence', **extra):
    body = {'id': helpers.uuid_for('module-' + label), 'name': label, 'type': 'file',
            'description': 'the shop licence', 'tenant': 'p', 'tenant_id': 'p',
            'datastore': 'mariadb', 'datastore_id': helpers.MARIADB_ID,
            'datastore_version': '10.11', 'datastore_version_id': helpers.MARIADB_1011,
            'auto_apply': False, 'priority_apply': False, 'apply_order': 5, 'is_admin': False,
            'md5': '5d41402abc4b2a76b9719d911017c592', 'visible': True, 'live_update': False,
            'created': '2026-11-22T01:00:00', 'updated': '2026-11-22T01:05:00'}
    body.update(extra)
    return trove_modules.Module(trove_modules.Modules(None), copy.deepcopy(body), loaded=True)


def page(res):
    return html.unescape(res.content.decode())


def upload(data=b'licence-key\x00\xff', name='licence.lic'):
    return SimpleUploadedFile(name, data)


def versions_offered(form):
    """The grouped (per datastore) choices of the Datastore field."""
    return [value for _group, choices in form.fields['datastore'].choices
            if isinstance(choices, list) for value, _label in choices]


def detail_url(found):
    return reverse('horizon:project:database_modules:detail', args=[found.id])


def edit_url(found):
    return reverse('horizon:project:database_modules:edit', args=[found.id])


class WireTests(helpers.TestCase):
    """The api module hands troveclient bytes, and troveclient puts base64 on the wire."""

    def test_create_sends_the_file_base64_encoded(self):
        client = mock.Mock()
        client.modules.api.client.post.return_value = (
            mock.Mock(status_code=200), {'module': {'id': 'm', 'name': 'licence'}})
        real = trove_modules.Modules(client.modules.api)
        client.modules = real
        with mock.patch.object(trove, 'troveclient', return_value=client):
            modules_api.module_create(self.request, 'licence', 'file', b'\x00\xffkey',
                                      datastore='mariadb', datastore_version='10.11',
                                      apply_order=3)
        _url, kwargs = client.modules.api.client.post.call_args
        body = kwargs['body']['module']
        self.assertEqual(b'\x00\xffkey', base64.b64decode(body['contents']))
        self.assertEqual({'type': 'mariadb', 'version': '10.11'}, body['datastore'])
        self.assertEqual(('file', 3), (body['module_type'], body['apply_order']))


class PanelTests(helpers.TestCase):

    @helpers.create_mocks({modules_api: ('module_list_page',)})
    def test_index_lists_every_column_in_one_call(self):
        self.mock_module_list_page.return_value = (
            [module('licence'), module('ca-bundle', datastore='all', datastore_version='all',
                                       auto_apply=True, md5='0cc175b9c0f1b6a831c399e269772661')],
            None)
        res = self.client.get(INDEX_URL)
        self.assertTemplateUsed(res, 'project/database_modules/index.html')
        text = page(res)
        for expected in ('licence', 'ca-bundle', 'file', 'mariadb 10.11', 'All datastores',
                         '5d41402abc4b2a76b9719d911017c592', '0cc175b9c0f1b6a831c399e269772661',
                         '2026-11-22 01:05:00'):
            self.assertIn(expected, text)
        auto = {r.datum.name: r.cells['auto_apply'].data
                for r in res.context['table'].get_rows()}
        self.assertEqual({'licence': 'No', 'ca-bundle': 'Yes'},
                         {k: str(v) for k, v in auto.items()})
        self.mock_module_list_page.assert_called_once_with(helpers.IsHttpRequest(),
                                                           marker=None)

    @helpers.create_mocks({modules_api: ('module_get',)})
    def test_detail_shows_every_field(self):
        self.mock_module_get.return_value = module(
            'licence', instance_count=3, apply_order=7, priority_apply=True, live_update=True,
            is_admin=True, visible=False, datastore_version='all', tenant='all')
        found = self.mock_module_get.return_value
        text = page(self.client.get(detail_url(found)))
        for expected in ('licence', found.id, 'the shop licence', 'mariadb, all versions',
                         'All projects', '5d41402abc4b2a76b9719d911017c592',
                         '2026-11-22 01:00:00'):
            self.assertIn(expected, text)
        for label, value in (('Apply Order', '7'), ('Instances', '3'), ('Apply First', 'Yes'),
                             ('Live Update', 'Yes'), ('Visible', 'No'),
                             ("Administrator's Module", 'Yes'), ('Auto Apply', 'No')):
            self.assertRegex(text, r'<dt>%s</dt>\s*<dd[^>]*>%s</dd>' % (label, value))

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_create_offers_the_versions_that_take_modules_and_their_datastore(self):
        self.mock_datastore_list.return_value = datastore_list()
        form = self.client.get(CREATE_URL).context['form']
        self.assertEqual(['datastore:' + helpers.MARIADB_ID, helpers.MARIADB_REF],
                         versions_offered(form))
        self.assertEqual(5, form.fields['apply_order'].initial)

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_create_posts_the_files_bytes_and_every_option(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_module_create.return_value = module('licence')
        res = self.client.post(CREATE_URL, {
            'name': 'licence', 'module_type': 'file', 'contents': upload(),
            'description': 'the shop licence', 'datastore': helpers.MARIADB_REF,
            'live_update': 'on', 'apply_order': '2'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_module_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'licence', 'file', b'licence-key\x00\xff',
            datastore='mariadb', datastore_version='10.11', description='the shop licence',
            live_update=True, apply_order=2, all_tenants=False, auto_apply=False,
            visible=False, priority_apply=False)

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_create_for_every_version_of_a_datastore(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_module_create.return_value = module('licence')
        res = self.client.post(CREATE_URL, {
            'name': 'licence', 'module_type': 'ping', 'contents': upload(b'x'),
            'datastore': 'datastore:' + helpers.MARIADB_ID, 'apply_order': '5',
            'visible': 'on'})
        self.assertNoFormErrors(res)
        _args, kwargs = self.mock_module_create.call_args
        self.assertEqual('mariadb', kwargs['datastore'])
        self.assertNotIn('datastore_version', kwargs)

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_create_needs_a_file_and_an_order_from_0_to_9(self):
        self.mock_datastore_list.return_value = datastore_list()
        res = self.client.post(CREATE_URL, {'name': 'licence', 'module_type': 'file',
                                            'datastore': helpers.MARIADB_REF,
                                            'apply_order': '10'})
        errors = res.context['form'].errors
        self.assertIn('contents', errors)
        self.assertIn('apply_order', errors)
        self.mock_module_create.assert_not_called()

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_the_apis_refusal_of_create_is_on_its_field(self):
        self.mock_datastore_list.return_value = datastore_list()
        for message, field in (
                ("Module type 'vertica' is not one of the configured types: ping, file.",
                 'module_type'),
                ("Datastore version 'mariadb 11.4' was not found.", 'datastore'),
                ("A module named 'licence' of type 'file' already exists.", 'name')):
            self.mock_module_create.side_effect = helpers.api_error(400, message)
            res = self.client.post(CREATE_URL, {
                'name': 'licence', 'module_type': 'vertica', 'contents': upload(),
                'datastore': helpers.MARIADB_REF, 'apply_order': '5'})
            self.assertEqual([message], res.context['form'].errors[field])

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_type_suggestions_come_from_the_setting(self):
        self.mock_datastore_list.return_value = datastore_list()
        with override_settings(DBAAS_MODULE_TYPES=['ping', 'file', 'licence']):
            text = self.client.get(CREATE_URL).content.decode()
        self.assertIn('list="suggest-module_type"', text)
        self.assertIn('<option value="licence"></option>', text)


@override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
class AdminOptionTests(helpers.TestCase):
    """Admin-only options are fields for those the API's module:admin_options allows."""

    def setUp(self):
        super().setUp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)

    def form_for(self, role):
        self._setup_user(roles=[role])
        return self.client.get(CREATE_URL).context['form']

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_members_get_no_admin_fields_and_no_all_datastores(self):
        self.mock_datastore_list.return_value = datastore_list()
        form = self.form_for(MEMBER_ROLE)
        self.assertEqual(set(), ADMIN_FIELDS & set(form.fields))
        self.assertNotIn('all', [c[0] for c in form.fields['datastore'].choices])

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_admins_get_them(self):
        self.mock_datastore_list.return_value = datastore_list()
        form = self.form_for(ADMIN_ROLE)
        self.assertEqual(ADMIN_FIELDS, ADMIN_FIELDS & set(form.fields))
        self.assertEqual(('all', 'All datastores'),
                         tuple(map(str, form.fields['datastore'].choices[0])))
        self.assertTrue(form.fields['visible'].initial)

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_a_member_sends_no_admin_option(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_module_create.return_value = module('licence')
        self._setup_user(roles=[MEMBER_ROLE])
        res = self.client.post(CREATE_URL, {
            'name': 'licence', 'module_type': 'file', 'contents': upload(),
            'datastore': helpers.MARIADB_REF, 'apply_order': '5',
            'auto_apply': 'on', 'all_tenants': 'on'})
        self.assertNoFormErrors(res)
        _args, kwargs = self.mock_module_create.call_args
        self.assertEqual(set(), (ADMIN_FIELDS | {'all_datastores'}) & set(kwargs))

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_create',)})
    def test_an_admin_makes_an_auto_applied_module_for_everyone(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_module_create.return_value = module('licence')
        self._setup_user(roles=[ADMIN_ROLE])
        res = self.client.post(CREATE_URL, {
            'name': 'ca', 'module_type': 'file', 'contents': upload(b'pem'),
            'datastore': 'all', 'apply_order': '0', 'auto_apply': 'on', 'all_tenants': 'on',
            'priority_apply': 'on'})
        self.assertNoFormErrors(res)
        self.mock_module_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'ca', 'file', b'pem', description=None,
            live_update=False, apply_order=0, all_tenants=True, auto_apply=True,
            visible=False, priority_apply=True)

    @helpers.create_mocks({modules_api: ('module_list_page',)})
    def test_an_admins_module_cannot_be_changed_by_a_member(self):
        self.mock_module_list_page.return_value = ([module('locked', is_admin=True),
                                                    module('mine')], None)
        self._setup_user(roles=[MEMBER_ROLE])
        table = self.client.get(INDEX_URL).context['table']
        actions = {row.name: {a.name for a in table.get_row_actions(row)}
                   for row in table.data}
        self.assertEqual({'locked': set(), 'mine': {'edit', 'delete'}}, actions)


@override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
class EditDeleteTests(helpers.TestCase):
    """As a member of the module's project."""

    def setUp(self):
        super().setUp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)
        self._setup_user(roles=[MEMBER_ROLE])

    @helpers.create_mocks({trove: ('datastore_list',), modules_api: ('module_get',)})
    def test_edit_is_prefilled_and_the_file_optional(self):
        self.mock_datastore_list.return_value = datastore_list()
        self.mock_module_get.return_value = module('licence', apply_order=3, live_update=True)
        form = self.client.get(edit_url(self.mock_module_get.return_value)).context['form']
        self.assertFalse(form.fields['contents'].required)
        self.assertEqual(('licence', 'file', helpers.MARIADB_REF, 3, True),
                         (form.fields['name'].initial, form.fields['module_type'].initial,
                          form.fields['datastore'].initial, form.fields['apply_order'].initial,
                          form.fields['live_update'].initial))

    def post_edit(self, found, **changes):
        data = {'name': found.name, 'module_type': found.type,
                'description': found.description, 'datastore': helpers.MARIADB_REF,
                'apply_order': str(found.apply_order)}
        data.update(changes)
        return self.client.post(edit_url(found), data)

    @helpers.create_mocks({trove: ('datastore_list',),
                           modules_api: ('module_get', 'module_update')})
    def test_edit_sends_only_what_changed(self):
        self.mock_datastore_list.return_value = datastore_list()
        found = self.mock_module_get.return_value = module('licence')
        res = self.post_edit(found, apply_order='8', module_type='ping',
                             datastore='datastore:' + helpers.MARIADB_ID)
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, detail_url(found))
        self.mock_module_update.assert_called_once_with(
            helpers.IsHttpRequest(), found.id, apply_order=8, module_type='ping',
            datastore='mariadb', all_datastore_versions=True)

    @helpers.create_mocks({trove: ('datastore_list',),
                           modules_api: ('module_get', 'module_update')})
    def test_a_new_file_replaces_the_contents(self):
        self.mock_datastore_list.return_value = datastore_list()
        found = self.mock_module_get.return_value = module('licence')
        res = self.post_edit(found, contents=upload(b'new key'))
        self.assertNoFormErrors(res)
        self.mock_module_update.assert_called_once_with(helpers.IsHttpRequest(), found.id,
                                                        contents=b'new key')

    @helpers.create_mocks({trove: ('datastore_list',),
                           modules_api: ('module_get', 'module_update')})
    def test_the_apis_refusal_of_an_edit_is_shown(self):
        self.mock_datastore_list.return_value = datastore_list()
        found = self.mock_module_get.return_value = module('licence')
        message = ("Module 'licence' is applied to 2 instances and cannot be updated live: "
                   'remove it from them first, or create it with live_update.')
        self.mock_module_update.side_effect = helpers.api_error(400, message)
        res = self.post_edit(found, description='new')
        self.assertIn(message, res.context['form'].non_field_errors())

    @helpers.create_mocks({modules_api: ('module_list_page', 'module_delete')})
    def test_delete_and_its_refusal_in_the_apis_words(self):
        found = module('licence')
        self.mock_module_list_page.return_value = ([found], None)
        res = self.client.post(INDEX_URL, {'action': 'modules__delete__%s' % found.id})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_module_delete.assert_called_once_with(helpers.IsHttpRequest(), found.id)

        message = "Module 'licence' is applied to 1 instance and cannot be deleted."
        self.mock_module_delete.side_effect = helpers.api_error(400, message)
        res = self.client.post(INDEX_URL, {'action': 'modules__delete__%s' % found.id},
                               follow=True)
        self.assertIn(message, page(res))
        self.assertNotIn('Unable to', page(res))
