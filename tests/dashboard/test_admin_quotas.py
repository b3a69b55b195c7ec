"""The Admin dashboard's Quotas panel: every project with each resource's usage as a bar,
pages, Edit Quotas and its refusals; API calls per render counted on the mocked wrappers."""
import types

from django.urls import reverse
from openstack_dashboard.api import keystone

from tests.dashboard import helpers
from trove_dashboard.api import admin_quotas
from trove_dashboard.content.admin_quotas import quota_data

INDEX_URL = reverse('horizon:admin:database_quotas:index')
ADMIN_ROLE = {'id': '1', 'name': 'admin'}
LIST_MOCKS = {admin_quotas: ('quota_index',), keystone: ('tenant_list',)}
PROJECTS = [types.SimpleNamespace(id='p-shop', name='shop'),
            types.SimpleNamespace(id='p-blog', name='Blog')]
DEFAULTS = {'instances': 10, 'ram': -1, 'volumes': 100, 'backups': 50}


def resources(instances=(0, 10), ram=(0, -1), volumes=(0, 100), backups=(0, 50)):
    """A project's resources as the API shows them: (in use, limit) each."""
    return [types.SimpleNamespace(resource=name, in_use=used, reserved=0, limit=limit)
            for name, (used, limit) in (('instances', instances), ('ram', ram),
                                        ('volumes', volumes), ('backups', backups))]


def defaults():
    return [types.SimpleNamespace(resource=k, limit=v) for k, v in DEFAULTS.items()]


def edit_url(project_id='p-shop', name='shop'):
    return reverse('horizon:admin:database_quotas:edit', args=[project_id]) + '?name=' + name


class AdminTestCase(helpers.TestCase):

    def setUp(self):
        super().setUp()
        self._setup_user(roles=[ADMIN_ROLE])


class IndexTests(AdminTestCase):

    @helpers.create_mocks(LIST_MOCKS)
    def test_every_project_with_its_bars_in_one_api_call(self):
        self.mock_quota_index.return_value = (
            {'p-shop': resources(instances=(2, 2), ram=(512, -1), volumes=(85, 100),
                                 backups=(1, 50)),
             'p-gone': resources(instances=(1, 10))}, defaults(), None)
        self.mock_tenant_list.return_value = (PROJECTS, False)

        res = self.client.get(INDEX_URL)

        self.assertTemplateUsed(res, 'admin/database_quotas/index.html')
        self.mock_quota_index.assert_called_once_with(helpers.IsHttpRequest(), None)
        self.mock_tenant_list.assert_called_once_with(helpers.IsHttpRequest())
        rows = res.context['table'].data
        # Sorted by name; a project without rows has the defaults, nothing used.
        self.assertEqual(['Blog', 'p-gone', 'shop'], [r.name for r in rows])
        blog, gone, shop = rows
        self.assertEqual((0, 10, 'ok'), (blog.quotas['instances'].in_use,
                                         blog.quotas['instances'].limit,
                                         blog.quotas['instances'].level))
        self.assertFalse(gone.known)
        self.assertEqual('full', shop.quotas['instances'].level)
        self.assertEqual('unlimited', shop.quotas['ram'].level)
        self.assertEqual(('warn', 85), (shop.quotas['volumes'].level,
                                        shop.quotas['volumes'].percent))
        self.assertEqual(('ok', 2), (shop.quotas['backups'].level,
                                     shop.quotas['backups'].percent))
        html = res.content.decode()
        self.assertIn('2 of 2', html)
        self.assertIn('512 MB used, unlimited', html)
        self.assertIn('85 of 100 GB', html)
        self.assertIn('class="quota-cell quota-full" data-resource="instances"', html)
        self.assertIn('p-gone (not in Keystone)', html)
        self.assertIn(edit_url(), html)

    @helpers.create_mocks(LIST_MOCKS)
    def test_a_page_holds_the_projects_up_to_the_apis_marker(self):
        projects = [types.SimpleNamespace(id=pid, name=pid.upper()) for pid in
                    ('p-a', 'p-m', 'p-z')]
        self.mock_quota_index.return_value = ({'p-m': resources()}, defaults(), 'p-m')
        self.mock_tenant_list.return_value = (projects, False)

        res = self.client.get(INDEX_URL)

        table = res.context['table']
        self.assertEqual(['P-A', 'P-M'], [r.name for r in table.data])
        self.assertTrue(table.has_more_data())
        self.assertIn('marker=p-m', res.content.decode())

        self.mock_quota_index.return_value = ({}, defaults(), None)
        res = self.client.get(INDEX_URL + '?marker=p-m')

        self.assertEqual(['P-Z'], [r.name for r in res.context['table'].data])
        self.mock_quota_index.assert_called_with(helpers.IsHttpRequest(), 'p-m')

    @helpers.create_mocks(LIST_MOCKS)
    def test_api_failure_shows_an_error_and_an_empty_table(self):
        self.mock_quota_index.side_effect = helpers.api_error(500, 'database is locked')
        res = self.client.get(INDEX_URL)
        self.assertEqual(0, len(res.context['table'].data))
        self.assertMessageCount(res, error=1)

    def test_a_member_does_not_get_the_panel(self):
        self._setup_user()
        res = self.client.get(INDEX_URL)
        self.assertNotEqual(200, res.status_code)


class UsageLevelTests(helpers.TestCase):

    def test_levels(self):
        def level(used, limit):
            quota = types.SimpleNamespace(resource='instances', in_use=used, limit=limit,
                                          reserved=0)
            return quota_data._usage(quota).level
        self.assertEqual('ok', level(3, 5))
        self.assertEqual('warn', level(4, 5))
        self.assertEqual('full', level(5, 5))
        self.assertEqual('full', level(6, 5))      # a limit lowered below usage
        self.assertEqual('full', level(0, 0))      # nothing may be created
        self.assertEqual('unlimited', level(7, -1))


class EditQuotasTests(AdminTestCase):

    @helpers.create_mocks({admin_quotas: ('quota_show',)})
    def test_the_form_shows_the_limits_in_one_call(self):
        self.mock_quota_show.return_value = resources(instances=(2, 3))

        res = self.client.get(edit_url())

        self.assertTemplateUsed(res, 'admin/database_quotas/form_page.html')
        form = res.context['form']
        self.assertEqual(3, form.fields['instances'].initial)
        self.assertEqual(-1, form.fields['ram'].initial)
        self.assertIn('2 in use', str(form.fields['instances'].help_text))
        self.assertIn('shop', res.content.decode())
        self.mock_quota_show.assert_called_once_with(helpers.IsHttpRequest(), 'p-shop')

    @helpers.create_mocks({admin_quotas: ('quota_show', 'quota_update')})
    def test_only_changed_limits_are_sent(self):
        self.mock_quota_show.return_value = resources(instances=(2, 3))
        self.mock_quota_update.return_value = {'instances': 2}

        res = self.client.post(edit_url(), {'instances': 2, 'ram': -1, 'volumes': 100,
                                            'backups': 50})

        self.assertNoFormErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_quota_update.assert_called_once_with(
            helpers.IsHttpRequest(), 'p-shop', {'instances': 2})
        self.assertMessageCount(success=1, warning=0)

    @helpers.create_mocks({admin_quotas: ('quota_show', 'quota_update')})
    def test_a_limit_below_usage_is_set_with_a_warning(self):
        self.mock_quota_show.return_value = resources(instances=(2, 3))
        self.mock_quota_update.return_value = {'instances': 1}

        res = self.client.post(edit_url(), {'instances': 1, 'ram': -1, 'volumes': 100,
                                            'backups': 50})

        self.assertNoFormErrors(res)
        self.assertMessageCount(success=1, warning=1)

    @helpers.create_mocks({admin_quotas: ('quota_show', 'quota_update')})
    def test_nothing_changed_sends_nothing(self):
        self.mock_quota_show.return_value = resources()
        res = self.client.post(edit_url(), {'instances': 10, 'ram': -1, 'volumes': 100,
                                            'backups': 50})
        self.assertNoFormErrors(res)
        self.mock_quota_update.assert_not_called()

    @helpers.create_mocks({admin_quotas: ('quota_show', 'quota_update')})
    def test_the_apis_refusal_lands_on_its_field_in_its_words(self):
        self.mock_quota_show.return_value = resources()
        message = "'quotas.ram' must be from -1 to 2147483647, not 2147483648."
        self.mock_quota_update.side_effect = helpers.api_error(400, message)

        res = self.client.post(edit_url(), {'instances': 10, 'ram': 4096, 'volumes': 100,
                                            'backups': 50})

        self.assertEqual([message], res.context['form'].errors['ram'])

    @helpers.create_mocks({admin_quotas: ('quota_show', 'quota_update')})
    def test_the_browser_refuses_a_limit_under_minus_one(self):
        self.mock_quota_show.return_value = resources()
        res = self.client.post(edit_url(), {'instances': -2, 'ram': -1, 'volumes': 100,
                                            'backups': 50})
        self.assertIn('instances', res.context['form'].errors)
        self.mock_quota_update.assert_not_called()
