"""Launch Instance's Database Access step: offered by the version's 'access' capability."""
from django.urls import reverse

from tests.dashboard import helpers
from tests.dashboard.test_launch import CATALOGUE_CALLS, LaunchTestCase, form_data
from trove_dashboard.api import trove

LAUNCH_URL = reverse('horizon:project:databases:launch')
INDEX_URL = reverse('horizon:project:databases:index')


class AccessStepTests(LaunchTestCase):

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_a_version_without_access_gets_no_access_and_its_fields_are_hidden(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')

        res = self.client.post(LAUNCH_URL, form_data(
            datastore_version=helpers.REDIS_REF, is_public='', allowed_cidrs='10.0.0.0/8'))

        self.assertRedirectsNoFollow(res, INDEX_URL)
        # Disabled fields ignore what was posted: Redis is sent no access to refuse.
        self.mock_instance_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'shop', '2', {'size': 1, 'type': 'standard'}, 'redis',
            '7.0', nics=[{'net-id': helpers.DEFAULT_NETWORK_ID}])

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_access_fields_are_marked_for_launch_js(self):
        self.mock_catalogue()
        res = self.client.post(LAUNCH_URL, form_data(datastore_version=helpers.REDIS_REF,
                                                     name=''))
        access = self.workflow(res).get_step('access').action
        for field in access.fields.values():
            self.assertTrue(field.disabled)
            self.assertEqual('access', field.widget.attrs['data-launch-feature'])
            self.assertEqual('true', field.widget.attrs['data-launch-hide'])
        self.assertIn('cannot restrict where connections come from', res.content.decode())

        res = self.client.post(LAUNCH_URL, form_data(name=''))   # MariaDB offers it
        access = self.workflow(res).get_step('access').action
        self.assertFalse(any(f.disabled for f in access.fields.values()))

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_a_version_with_access_sends_it(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')
        # Narrowing to sources of one's own is done on a public instance: a private one
        # admits only the cloud's own hosts.
        res = self.client.post(LAUNCH_URL, form_data(is_public='on',
                                                     allowed_cidrs='127.10.0.0/24'))
        self.assertNoFormErrors(res)
        self.mock_instance_create.assert_called_once()
        self.assertEqual({'is_public': True, 'allowed_cidrs': ['127.10.0.0/24']},
                         self.mock_instance_create.call_args.kwargs['access'])
