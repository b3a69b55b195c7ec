"""The Admin dashboard's Datastores panel: the versions table, register, edit, visibility,
delete (and the API's refusal in its words), members by project name, flavor and
volume-type associations, and that only admins reach it."""
import copy
import html
import types

from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy as auth_policy
from openstack_dashboard.api import keystone
from troveclient.v1 import datastores

from tests.dashboard import helpers
from trove_dashboard.api import admin_catalogue as api
from trove_dashboard.api import trove

DS = helpers.MARIADB_ID
V1011 = helpers.MARIADB_1011
PRIVATE = helpers.uuid_for('version-mariadb-private')
EMPTY_DS = helpers.uuid_for('datastore-empty')
INDEX_URL = reverse('horizon:admin:datastores:index')
REGISTER_URL = reverse('horizon:admin:datastores:register')
DETAIL_URL = reverse('horizon:admin:datastores:detail', args=[DS, PRIVATE])
EDIT_URL = reverse('horizon:admin:datastores:edit', args=[DS, PRIVATE])
VISIBILITY_URL = reverse('horizon:admin:datastores:visibility', args=[DS, PRIVATE])
ADD_MEMBER_URL = reverse('horizon:admin:datastores:add_member', args=[DS, PRIVATE])
MEMBERS_TAB = DETAIL_URL + '?tab=datastore_version__members'
DEMO_PROJECT, OPS_PROJECT = 'p-demo', 'p-ops'


def version(vid=V1011, name='10.11', datastore='mariadb', datastore_id=DS, **extra):
    body = {'id': vid, 'name': name, 'version': '10.11.19', 'datastore_id': datastore_id,
            'datastore_name': datastore, 'datastore_manager': 'mariadb',
            'image': 'mariadb-10.11.19', 'image_tags': [], 'packages': [], 'active': True,
            'default': True, 'visibility': 'public', 'maturity': 'stable',
            'capabilities': ['databases', 'users'], 'engine_path': '/opt/engines/mariadb',
            'flavors': [], 'volume_types': []}
    body.update(extra)
    return datastores.DatastoreVersion(datastores.DatastoreVersions(None), copy.deepcopy(body),
                                       loaded=True)


def private_version(**extra):
    return version(PRIVATE, 'shop-11', default=False, visibility='private', **extra)


def volume_types_dicts():
    """GET /mgmt/volume-types' rows: private types too, with their directory."""
    return [{'id': 'vt-standard', 'name': 'standard', 'description': 'Default root',
             'is_public': True, 'root_path': None},
            {'id': 'vt-fast', 'name': 'fast', 'description': 'Fast root', 'is_public': False,
             'root_path': '/srv/fast'}]


def version_list():
    return [version(), private_version(),
            version(helpers.REDIS_70, '7.0', 'redis', helpers.REDIS_ID,
                    datastore_manager='redis', image='redis-7.0.15', maturity='experimental')]


def datastore_list():
    """The two datastores with versions, and one whose versions were all deleted."""
    empty = datastores.Datastore(datastores.Datastores(None), {
        'id': EMPTY_DS, 'name': 'retired', 'versions': [], 'links': []}, loaded=True)
    return helpers.datastore_list() + [empty]


def member(project):
    return types.SimpleNamespace(id='m-' + project, datastore_version_id=PRIVATE,
                                 member=project)


def projects():
    return [types.SimpleNamespace(id=DEMO_PROJECT, name='demo'),
            types.SimpleNamespace(id=OPS_PROJECT, name='ops')]


def page(res):
    return html.unescape(res.content.decode())


def shown_messages(res):
    return [str(m) for m in res.wsgi_request._messages]


class AdminTestCase(helpers.TestCase):
    """Logged in with the admin role."""

    def setActiveUser(self, *args, **kwargs):
        kwargs['roles'] = list(kwargs.get('roles') or []) + [self.roles.admin._info]
        super().setActiveUser(*args, **kwargs)


class IndexTests(AdminTestCase):

    @helpers.create_mocks({api: ('version_list',), trove: ('datastore_list',)})
    def test_every_version_with_its_state_in_two_calls(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = datastore_list()
        res = self.client.get(INDEX_URL)
        self.assertTemplateUsed(res, 'admin/datastores/index.html')
        rows = res.context['datastore_versions_table'].data
        self.assertEqual(['10.11', 'shop-11', '7.0'], [r.name for r in rows])
        text = page(res)
        for expected in ('mariadb-10.11.19', 'Private (members only)', 'Experimental',
                         'Public', 'Register Version', 'Set Visibility', 'Manage Members'):
            self.assertIn(expected, text)
        # The only datastore left without versions is offered for deletion.
        self.assertEqual(['retired'], [d.name for d in res.context['empty_datastores_table']
                                       .data])
        self.assertEqual(1, self.mock_version_list.call_count)
        self.assertEqual(1, self.mock_datastore_list.call_count)

    @helpers.create_mocks({api: ('version_list',), trove: ('datastore_list',)})
    def test_filter_narrows_the_rows(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        res = self.client.post(INDEX_URL, {'datastore_versions__filter__q': 'redis'})
        table = res.context['datastore_versions_table']
        self.assertEqual(['7.0'], [r.name for r in table.filtered_data])
        self.assertNotIn('Datastores Without Versions', page(res))

    @helpers.create_mocks({api: ('version_list', 'version_delete'),
                           trove: ('datastore_list',)})
    def test_delete_refused_while_used_shows_the_apis_words_only(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        message = ("Datastore version '10.11' is in use by 2 instance(s), 1 backup(s); delete "
                   'them first (or set it inactive).')
        self.mock_version_delete.side_effect = helpers.api_error(409, message)
        res = self.client.post(INDEX_URL, {'action': 'datastore_versions__delete__%s' % V1011})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual([message], shown_messages(res))
        self.mock_version_delete.assert_called_once_with(helpers.IsHttpRequest(), V1011)

    @helpers.create_mocks({api: ('version_list', 'version_delete'),
                           trove: ('datastore_list',)})
    def test_delete_an_unused_version(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        res = self.client.post(INDEX_URL, {'action': 'datastore_versions__delete__%s' % PRIVATE})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_version_delete.assert_called_once_with(helpers.IsHttpRequest(), PRIVATE)
        self.assertEqual(['Deleted Version: mariadb shop-11'], shown_messages(res))

    @helpers.create_mocks({api: ('version_list', 'datastore_delete'),
                           trove: ('datastore_list',)})
    def test_delete_an_empty_datastore(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = datastore_list()
        res = self.client.post(INDEX_URL, {'action': 'empty_datastores__delete__%s' % EMPTY_DS})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_datastore_delete.assert_called_once_with(helpers.IsHttpRequest(), EMPTY_DS)


class AccessTests(helpers.TestCase):
    """A project member (no admin role) cannot open the panel or its pages."""

    @helpers.create_mocks({api: ('version_list',), trove: ('datastore_list',)})
    def test_non_admins_cannot_reach_the_panel(self):
        for url in (INDEX_URL, REGISTER_URL, DETAIL_URL):
            self.assertEqual(403, self.client.get(url).status_code, url)
        self.mock_version_list.assert_not_called()


def managers():
    """GET /mgmt/datastore-managers: a build with a fourth manager."""
    return [{'name': n, 'maturity': m, 'capabilities': ['databases']}
            for n, m in (('redis', 'experimental'), ('mariadb', 'stable'),
                         ('postgresql', 'stable'), ('valkey', 'technical-preview'))]


class RegisterTests(AdminTestCase):

    @helpers.create_mocks({api: ('version_list', 'manager_list')})
    def test_manager_choices_and_no_unused_fields(self):
        self.mock_version_list.return_value = version_list()
        self.mock_manager_list.return_value = managers()
        res = self.client.get(REGISTER_URL)
        form = res.context['form']
        # The service's own managers, with their maturity: one call.
        self.assertEqual([('mariadb', 'mariadb (Stable)'), ('postgresql', 'postgresql (Stable)'),
                          ('redis', 'redis (Experimental)'),
                          ('valkey', 'valkey (Technical preview)')],
                         list(form.fields['manager'].choices))
        self.assertEqual(1, self.mock_manager_list.call_count)
        for refused in ('packages', 'image_tags', 'registry_ext', 'repl_strategy'):
            self.assertNotIn(refused, form.fields)
        # Registered images and datastores are suggested.
        text = page(res)
        self.assertIn('<option value="mariadb-10.11.19">', text)
        self.assertIn('<option value="redis-7.0.15">', text)
        self.assertIn('<datalist id="datastore-names">', text)

    @helpers.create_mocks({api: ('version_list', 'manager_list')})
    def test_without_the_managers_call_the_built_in_names_are_offered(self):
        self.mock_version_list.return_value = version_list()
        self.mock_manager_list.side_effect = helpers.api_error(404, 'Not found')
        form = self.client.get(REGISTER_URL).context['form']
        self.assertEqual(['mariadb', 'postgresql', 'redis'],
                         [value for value, _label in form.fields['manager'].choices])

    @helpers.create_mocks({api: ('version_list', 'version_create', 'manager_list')})
    def test_register_posts_one_create(self):
        self.mock_version_list.return_value = version_list()
        self.mock_manager_list.return_value = managers()
        res = self.client.post(REGISTER_URL, {
            'datastore': 'mariadb', 'manager': 'mariadb', 'name': 'shop-11',
            'image': 'mariadb-10.11.19', 'version': '', 'active': 'on'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_version_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'mariadb', 'mariadb', 'shop-11', 'mariadb-10.11.19',
            version=None, active=True, default=False)

    @helpers.create_mocks({api: ('version_list', 'version_create', 'manager_list')})
    def test_the_apis_refusal_lands_on_its_field(self):
        self.mock_version_list.return_value = version_list()
        self.mock_manager_list.return_value = managers()
        data = {'datastore': 'mariadb', 'manager': 'mariadb', 'name': 'shop-11',
                'image': 'mariadb-9', 'active': 'on'}
        message = ("Image 'mariadb-9' not found: for this deployment an image is an installed "
                   "engine build of manager 'mariadb' (installed: mariadb-10.11.19).")
        self.mock_version_create.side_effect = helpers.api_error(404, message)
        res = self.client.post(REGISTER_URL, data)
        self.assertEqual([message], res.context['form'].errors['image'])

        message = "Datastore version 'shop-11' of datastore 'mariadb' already exists."
        self.mock_version_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(REGISTER_URL, data)
        self.assertEqual([message], res.context['form'].errors['name'])


class VersionFormTests(AdminTestCase):

    @helpers.create_mocks({api: ('version_get', 'version_update')})
    def test_edit_sends_only_what_changed(self):
        self.mock_version_get.return_value = private_version()
        form = self.client.get(EDIT_URL).context['form']
        self.assertEqual(('shop-11', True, False), (form.fields['name'].initial,
                                                    form.fields['active'].initial,
                                                    form.fields['default'].initial))
        res = self.client.post(EDIT_URL, {'name': 'shop-11', 'image': 'mariadb-10.11.19',
                                          'default': 'on'})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_version_update.assert_called_once_with(
            helpers.IsHttpRequest(), PRIVATE, active=False, default=True)

    @helpers.create_mocks({api: ('version_get', 'version_update')})
    def test_edit_a_version_registered_without_image_keeps_its_build(self):
        self.mock_version_get.return_value = version(image=None)
        res = self.client.post(EDIT_URL, {'name': '10.11-lts', 'image': '', 'active': 'on',
                                          'default': 'on'})
        self.assertNoFormErrors(res)
        self.mock_version_update.assert_called_once_with(helpers.IsHttpRequest(), V1011,
                                                         name='10.11-lts')

    @helpers.create_mocks({api: ('version_get', 'version_update')})
    def test_edit_refusal_is_on_the_image(self):
        self.mock_version_get.return_value = version()
        message = "Image 'mariadb-12' not found: installed: mariadb-10.11.19."
        self.mock_version_update.side_effect = helpers.api_error(404, message)
        res = self.client.post(EDIT_URL, {'name': '10.11', 'image': 'mariadb-12',
                                          'active': 'on', 'default': 'on'})
        self.assertEqual([message], res.context['form'].errors['image'])

    @helpers.create_mocks({api: ('version_get', 'version_set_visibility')})
    def test_set_visibility_puts_the_choice(self):
        self.mock_version_get.return_value = version()
        res = self.client.get(VISIBILITY_URL)
        self.assertEqual(['public', 'private', 'unlisted', 'deprecated'],
                         [v for v, _label in res.context['form'].fields['visibility'].choices])
        res = self.client.post(VISIBILITY_URL, {'visibility': 'private'})
        self.assertNoFormErrors(res)
        self.mock_version_set_visibility.assert_called_once_with(
            helpers.IsHttpRequest(), DS, V1011, 'private')

    @helpers.create_mocks({api: ('version_get', 'version_set_visibility')})
    def test_refused_visibility_is_shown_on_the_form(self):
        self.mock_version_get.return_value = version()
        message = "Datastore version '10.11' cannot be found for datastore 'mariadb'."
        self.mock_version_set_visibility.side_effect = helpers.api_error(404, message)
        res = self.client.post(VISIBILITY_URL, {'visibility': 'unlisted'})
        self.assertEqual([message], res.context['form'].errors['visibility'])


class MembersTests(AdminTestCase):

    @helpers.create_mocks({api: ('version_get', 'member_list'), keystone: ('tenant_list',)})
    def test_members_are_listed_by_project_name(self):
        self.mock_version_get.return_value = private_version()
        self.mock_member_list.return_value = [member(DEMO_PROJECT), member('p-gone')]
        self.mock_tenant_list.return_value = (projects(), False)
        res = self.client.get(MEMBERS_TAB)
        rows = res.context['tab_group'].get_tab('members')._tables['members'].data
        self.assertEqual(['demo', '(unknown project)'], [str(r.project_name) for r in rows])
        self.mock_tenant_list.assert_called_once()
        self.mock_member_list.assert_called_once_with(helpers.IsHttpRequest(), DS, PRIVATE)

    @helpers.create_mocks({api: ('version_get', 'member_list', 'member_add'),
                           keystone: ('tenant_list',)})
    def test_add_member_offers_projects_not_yet_members(self):
        self.mock_version_get.return_value = private_version()
        self.mock_member_list.return_value = [member(OPS_PROJECT)]
        self.mock_tenant_list.return_value = (projects(), False)
        form = self.client.get(ADD_MEMBER_URL).context['form']
        self.assertEqual([(DEMO_PROJECT, 'demo')], form.fields['project'].choices)
        res = self.client.post(ADD_MEMBER_URL, {'project': DEMO_PROJECT})
        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, MEMBERS_TAB)
        self.mock_member_add.assert_called_once_with(helpers.IsHttpRequest(), DS, PRIVATE,
                                                     DEMO_PROJECT)

    @helpers.create_mocks({api: ('version_get', 'member_list', 'member_remove'),
                           keystone: ('tenant_list',)})
    def test_remove_member(self):
        self.mock_version_get.return_value = private_version()
        self.mock_member_list.return_value = [member(DEMO_PROJECT)]
        self.mock_tenant_list.return_value = (projects(), False)
        res = self.client.post(MEMBERS_TAB, {'action': 'members__delete__m-' + DEMO_PROJECT})
        self.assertEqual(302, res.status_code)
        self.mock_member_remove.assert_called_once_with(helpers.IsHttpRequest(), DS, PRIVATE,
                                                        'm-' + DEMO_PROJECT)


class AssociationTests(AdminTestCase):
    FLAVORS_TAB = DETAIL_URL + '?tab=datastore_version__flavors'
    TYPES_TAB = DETAIL_URL + '?tab=datastore_version__volume_types'

    def rows(self, res, tab, table):
        return {r.name: r.associated
                for r in res.context['tab_group'].get_tab(tab)._tables[table].data}

    @helpers.create_mocks({api: ('version_get',), trove: ('flavor_list',)})
    def test_flavors_show_which_are_associated(self):
        # The version's view names its associated flavors: one call for every flavor.
        self.mock_version_get.return_value = private_version(flavors=['1'])
        self.mock_flavor_list.return_value = helpers.flavor_list()
        res = self.client.get(self.FLAVORS_TAB)
        self.assertEqual({'db.tiny': True, 'db.small': False, 'db.medium': False},
                         self.rows(res, 'flavors', 'version_flavors'))
        text = page(res)
        self.assertIn('Yes (associated)', text)
        self.assertNotIn('Yes (no restriction)', text)
        self.assertIn('Associate Flavor', text)
        self.assertEqual(1, self.mock_flavor_list.call_count)

        # No association: every flavor is allowed, none is associated.
        self.mock_version_get.return_value = private_version()
        res = self.client.get(self.FLAVORS_TAB)
        self.assertEqual({False}, set(self.rows(res, 'flavors', 'version_flavors').values()))
        self.assertIn('Yes (no restriction)', page(res))

        # All associated is not "no restriction": each says it is associated.
        self.mock_version_get.return_value = private_version(flavors=['1', '2', '3'])
        res = self.client.get(self.FLAVORS_TAB)
        self.assertEqual({True}, set(self.rows(res, 'flavors', 'version_flavors').values()))
        self.assertNotIn('Yes (no restriction)', page(res))

    @helpers.create_mocks({api: ('version_get', 'flavor_associate', 'flavor_dissociate'),
                           trove: ('flavor_list',)})
    def test_associate_and_dissociate_one_flavor(self):
        self.mock_version_get.return_value = private_version(flavors=['1'])
        self.mock_flavor_list.return_value = helpers.flavor_list()
        res = self.client.post(self.FLAVORS_TAB, {'action': 'version_flavors__associate__2'})
        self.assertEqual(302, res.status_code)
        self.mock_flavor_associate.assert_called_once_with(helpers.IsHttpRequest(), DS,
                                                           PRIVATE, '2')
        self.client.post(self.FLAVORS_TAB, {'action': 'version_flavors__dissociate__1'})
        self.mock_flavor_dissociate.assert_called_once_with(helpers.IsHttpRequest(), DS,
                                                            PRIVATE, '1')

    @helpers.create_mocks({api: ('version_get', 'volume_type_list')})
    def test_volume_types_private_ones_too_by_id(self):
        self.mock_version_get.return_value = private_version(volume_types=['vt-fast'])
        self.mock_volume_type_list.return_value = volume_types_dicts()
        res = self.client.get(self.TYPES_TAB)
        self.assertEqual({'standard': False, 'fast': True},
                         self.rows(res, 'volume_types', 'version_volume_types'))
        self.assertEqual(1, self.mock_volume_type_list.call_count)

    @helpers.create_mocks({api: ('version_get', 'volume_type_list', 'volume_type_associate')})
    def test_volume_type_refusal_is_shown_in_the_apis_words(self):
        self.mock_version_get.return_value = private_version()
        self.mock_volume_type_list.return_value = volume_types_dicts()
        message = "Volume type 'fast' is already associated with datastore version 'shop-11'."
        self.mock_volume_type_associate.side_effect = helpers.api_error(409, message)
        res = self.client.post(self.TYPES_TAB,
                               {'action': 'version_volume_types__associate__fast'})
        self.assertEqual(302, res.status_code)
        self.assertEqual([message], shown_messages(res))
        self.mock_volume_type_associate.assert_called_once_with(helpers.IsHttpRequest(), DS,
                                                                PRIVATE, 'fast')


@override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
class PolicyTests(AdminTestCase):
    """The actions follow the API's rules: the admin role gets them all by default."""

    def setUp(self):
        super().setUp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)

    @helpers.create_mocks({api: ('version_list',), trove: ('datastore_list',)})
    def test_admins_get_every_action(self):
        self.mock_version_list.return_value = version_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        table = self.client.get(INDEX_URL).context['datastore_versions_table']
        self.assertEqual({'edit', 'visibility', 'members', 'delete'},
                         {a.name for a in table.get_row_actions(table.data[0])})
        self.assertEqual({'filter', 'register', 'delete'},
                         {a.name for a in table.get_table_actions()})
