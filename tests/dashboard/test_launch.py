"""The Launch Instance workflow: what it offers, what it sends, where refusals land."""
import json
from unittest import mock

from django.urls import reverse

from tests.dashboard import helpers
from tests.dashboard import test_modules
from trove_dashboard.api import trove
from trove_dashboard.content.databases.workflows import launch

LAUNCH_URL = reverse('horizon:project:databases:launch')
CHOICES_URL = reverse('horizon:project:databases:launch_choices')
INDEX_URL = reverse('horizon:project:databases:index')

CATALOGUE_CALLS = ('datastore_list', 'version_flavors', 'version_volume_types',
                   'availability_zone_list', 'network_list')


def form_data(**overrides):
    data = {'name': 'shop', 'availability_zone': '', 'datastore_version': helpers.MARIADB_REF,
            'flavor': '2', 'volume': '1', 'volume_type': 'standard', 'locality': '',
            'is_public': '', 'allowed_cidrs': '', 'databases': '', 'user': '', 'password': '',
            'host': '', 'initial_state': '', 'replica_count': '1',
            'network': helpers.DEFAULT_NETWORK_ID}
    data.update(overrides)
    return data


def modules_container(response):
    """The Advanced step's Modules container (#id_modules) as the page has it: its closing
    tag is the first at its own indentation."""
    text = response.content.decode()
    start = text.index('<div id="id_modules"')
    return text[start:text.index('\n  </div>', start) + len('\n  </div>')]


class LaunchTestCase(helpers.TestCase):

    def mock_catalogue(self, datastores=None):
        self.mock_datastore_list.return_value = datastores or helpers.datastore_list()
        self.mock_version_flavors.return_value = helpers.flavor_list()
        self.mock_version_volume_types.return_value = helpers.volume_type_list()
        self.mock_availability_zone_list.return_value = [
            helpers.zone('nova', hosts=2), helpers.zone('zone-b'),
            helpers.zone('zone-c', available=False)]
        self.mock_network_list.return_value = helpers.network_list()

    def workflow(self, response):
        return response.context['workflow']

    def step_errors(self, response, slug):
        return self.workflow(response).get_step(slug).action.errors


class LaunchFormTests(LaunchTestCase):

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_form_offers_the_default_versions_choices_with_five_calls(self):
        self.mock_catalogue()

        res = self.client.get(LAUNCH_URL)

        self.assertTemplateUsed(res, 'horizon/common/_workflow.html')
        workflow = self.workflow(res)
        self.assertEqual(['details', 'networking', 'access', 'initialize', 'advanced'],
                         [s.slug for s in workflow.steps])   # networks from the API
        details = workflow.get_step('details').action
        self.assertEqual(helpers.MARIADB_REF, details.fields['datastore_version'].initial)
        self.assertEqual(['1', '2', '3'], [v for v, _l in details.fields['flavor'].choices])
        self.assertEqual(['standard', 'fast'],
                         [v for v, _l in details.fields['volume_type'].choices])
        zones = dict(details.fields['availability_zone'].choices)
        self.assertEqual('zone-c (unavailable)', str(zones['zone-c']))
        self.mock_version_flavors.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.MARIADB_ID, helpers.MARIADB_1011)
        self.mock_version_volume_types.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.MARIADB_ID, helpers.MARIADB_1011)

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_every_field_has_a_label(self):
        self.mock_catalogue()
        html = self.client.get(LAUNCH_URL).content.decode()
        for step in self.workflow(self.client.get(LAUNCH_URL)).steps:
            for name, field in step.action.fields.items():
                self.assertTrue(field.label, name)
                if name != 'modules':   # a group of checkboxes, each labelled
                    self.assertIn('for="id_%s"' % name, html, name)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + (
        'configuration_list', 'backup_list', 'module_list', 'instance_list')})
    def test_advanced_features_are_disabled_and_never_fetched_without_capabilities(self):
        self.mock_catalogue()

        res = self.client.get(LAUNCH_URL)

        advanced = self.workflow(res).get_step('advanced').action
        for name in ('configuration', 'initial_state', 'backup', 'replica_of', 'replica_count',
                     'modules'):
            self.assertTrue(advanced.fields[name].disabled, name)
        html = res.content.decode()
        self.assertTrue('Not available for this datastore version.' in html)
        self.assertTrue('Configuration groups are not available for this datastore version.'
                        in html)
        self.mock_configuration_list.assert_not_called()
        self.mock_backup_list.assert_not_called()
        self.mock_module_list.assert_not_called()
        self.mock_instance_list.assert_not_called()

    def mock_modules(self, *modules):
        datastores = helpers.datastore_list()
        datastores[0].versions[0]['capabilities'].append('modules')
        self.mock_catalogue(datastores)
        self.mock_module_list.return_value = list(modules)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('module_list',)})
    def test_modules_of_the_version_in_one_container_with_auto_apply_checked_and_locked(self):
        audit = test_modules.module('audit', auto_apply=True)
        self.mock_modules(audit, test_modules.module('tuning'),
                          test_modules.module('any-mariadb', datastore_version='all'),
                          test_modules.module('old-mariadb', datastore_version='10.6'))

        res = self.client.get(LAUNCH_URL)

        self.mock_module_list.assert_called_once_with(helpers.IsHttpRequest(), 'mariadb')
        advanced = self.workflow(res).get_step('advanced').action
        self.assertEqual(['audit', 'tuning', 'any-mariadb'],     # not 10.6's
                         [label for _v, label in advanced.fields['modules'].choices])
        self.assertFalse(advanced.fields['modules'].disabled)
        # launch.js refills the container #id_modules when the version changes.
        container = modules_container(res)
        self.assertIn('data-none="No module fits this datastore version."', container)
        self.assertInHTML('<input type="checkbox" name="modules" value="%s" '
                          'data-launch-feature="modules" id="id_modules_0" disabled checked '
                          'data-locked="true">' % audit.id, container)
        self.assertIn('audit (applied automatically)', container)
        self.assertIn('tuning', container)
        self.assertNotIn('launch-modules-none', container)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('module_list',)})
    def test_a_version_without_modules_says_so_in_the_container(self):
        self.mock_modules(test_modules.module('old-mariadb', datastore_version='10.6'))
        container = modules_container(self.client.get(LAUNCH_URL))
        self.assertInHTML('<p class="help-block launch-modules-none">'
                          'No module fits this datastore version.</p>', container)
        self.assertNotIn('type="checkbox"', container)

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_a_version_that_takes_no_modules_says_they_are_not_available(self):
        self.mock_catalogue()
        container = modules_container(self.client.get(LAUNCH_URL))
        self.assertInHTML('<p class="help-block launch-modules-none">'
                          'Not available for this datastore version.</p>', container)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('module_list',)})
    def test_module_names_are_text_in_the_launch_form(self):
        self.mock_modules(test_modules.module('<b>x</b>'))
        container = modules_container(self.client.get(LAUNCH_URL))
        self.assertIn('&lt;b&gt;x&lt;/b&gt;', container)
        self.assertNotIn('<b>', container)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_initialize_step_is_disabled_for_a_version_without_databases_or_users(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')

        res = self.client.post(LAUNCH_URL, form_data(datastore_version=helpers.REDIS_REF,
                                                     databases='shop'))

        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_version_flavors.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.REDIS_ID, helpers.REDIS_70)
        # A disabled field ignores what was posted: Redis gets no databases.
        self.mock_instance_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'shop', '2', {'size': 1, 'type': 'standard'}, 'redis',
            '7.0', nics=[{'net-id': helpers.DEFAULT_NETWORK_ID}])

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_initialize_fields_render_disabled_for_redis(self):
        self.mock_catalogue()
        res = self.client.post(LAUNCH_URL, form_data(datastore_version=helpers.REDIS_REF,
                                                     name=''))
        initialize = self.workflow(res).get_step('initialize').action
        self.assertTrue(initialize.fields['databases'].disabled)
        # Said on the spot, where the (hidden) fields would be, not in a tooltip.
        self.assertInHTML(
            '<p class="help-block launch-note" data-launch-note="no-databases" '
            'data-launch-template="%(datastore)s instances have no databases or users to '
            'create, so this step has nothing to fill in." data-launch-unavailable="databases '
            'users">redis instances have no databases or users to create, so this step has '
            'nothing to fill in.</p>', res.content.decode())


class NetworkStepTests(LaunchTestCase):

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_networking_offers_the_apis_networks_with_the_default_chosen(self):
        self.mock_catalogue()
        res = self.client.get(LAUNCH_URL)
        field = self.workflow(res).get_step('networking').action.fields['network']
        self.assertEqual([(helpers.DEFAULT_NETWORK_ID, 'main (127.10.0.0/16), the default'),
                          (helpers.BACKEND_NETWORK_ID, 'backend (127.40.0.0/24)')],
                         [(v, str(label)) for v, label in field.choices])
        self.assertEqual(helpers.DEFAULT_NETWORK_ID, field.initial)
        self.mock_network_list.assert_called_once_with(helpers.IsHttpRequest())
        self.assertIn('backend (127.40.0.0/24)', res.content.decode())

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_the_chosen_network_becomes_nics(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')
        res = self.client.post(LAUNCH_URL, form_data(network=helpers.BACKEND_NETWORK_ID))
        self.assertNoWorkflowErrors(res)
        self.assertEqual([{'net-id': helpers.BACKEND_NETWORK_ID}],
                         self.mock_instance_create.call_args.kwargs['nics'])

    @helpers.create_mocks({trove: CATALOGUE_CALLS})
    def test_a_network_the_api_did_not_offer_is_refused(self):
        self.mock_catalogue()
        res = self.client.post(LAUNCH_URL, form_data(network='not-offered'))
        self.assertIn('network', self.step_errors(res, 'networking'))

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_the_apis_network_refusal_lands_on_the_network_field(self):
        self.mock_catalogue()
        message = ('The address 127.10.0.9 on network default (%s) is already taken.'
                   % helpers.DEFAULT_NETWORK_ID)
        self.mock_instance_create.side_effect = helpers.api_error(400, message)
        res = self.client.post(LAUNCH_URL, form_data())
        self.assertEqual([message], self.step_errors(res, 'networking')['network'])
        self.assertEqual('networking', self.workflow(res).get_entry_point())


class LaunchSubmitTests(LaunchTestCase):

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_launch_sends_one_create_with_what_was_chosen(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')

        res = self.client.post(LAUNCH_URL, form_data(
            availability_zone='zone-b', locality='anti-affinity', volume='3',
            volume_type='fast', is_public='on', allowed_cidrs='10.0.0.0/24, 2001:db8::1/64',
            databases='shop, stock', user='app', password='s3cret', host='10.%'))

        self.assertNoWorkflowErrors(res)
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.mock_instance_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'shop', '2', {'size': 3, 'type': 'fast'}, 'mariadb',
            '10.11', availability_zone='zone-b', locality='anti-affinity',
            databases=[{'name': 'shop'}, {'name': 'stock'}],
            users=[{'name': 'app', 'password': 's3cret', 'host': '10.%',
                    'databases': [{'name': 'shop'}, {'name': 'stock'}]}],
            access={'is_public': True, 'allowed_cidrs': ['10.0.0.0/24', '2001:db8::/64']},
            nics=[{'net-id': helpers.DEFAULT_NETWORK_ID}])

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_minimal_launch_sends_only_what_was_set(self):
        self.mock_catalogue()
        self.mock_instance_create.return_value = helpers.instance('BUILD')
        self.client.post(LAUNCH_URL, form_data())
        self.mock_instance_create.assert_called_once_with(
            helpers.IsHttpRequest(), 'shop', '2', {'size': 1, 'type': 'standard'}, 'mariadb',
            '10.11', nics=[{'net-id': helpers.DEFAULT_NETWORK_ID}])

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_form_errors_are_on_their_fields_and_nothing_is_sent(self):
        self.mock_catalogue()
        res = self.client.post(LAUNCH_URL, form_data(
            name='', flavor='99', volume='0', allowed_cidrs='10.0.0.0/33',
            user='app', password=''))
        self.assertEqual({'name', 'flavor', 'volume'}, set(self.step_errors(res, 'details')))
        self.assertIn('Not a valid CIDR: 10.0.0.0/33.',
                      str(self.step_errors(res, 'access')['allowed_cidrs']))
        self.assertIn('needs a password', str(self.step_errors(res, 'initialize')['password']))
        self.mock_instance_create.assert_not_called()

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_databases_for_a_version_without_them_are_refused_on_the_field(self):
        datastores = helpers.datastore_list()
        datastores[0].versions[0]['capabilities'] = ['root', 'users']
        self.mock_catalogue(datastores)
        res = self.client.post(LAUNCH_URL, form_data(databases='shop'))
        self.assertIn('mariadb instances have no databases.',
                      str(self.step_errors(res, 'initialize')['databases']))
        self.mock_instance_create.assert_not_called()

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_api_refusal_lands_on_its_field_in_the_apis_words(self):
        self.mock_catalogue()
        message = "Flavor 'db.small' is not allowed for this datastore version; allowed: 1."
        self.mock_instance_create.side_effect = helpers.api_error(400, message)

        res = self.client.post(LAUNCH_URL, form_data())

        self.assertEqual(200, res.status_code)   # the form stays open
        self.assertEqual([message], self.step_errors(res, 'details')['flavor'])
        self.assertEqual('details', self.workflow(res).get_entry_point())
        html = res.content.decode()
        self.assertIn("Flavor &#x27;db.small&#x27; is not allowed", html)
        self.assertNotIn('was not launched', html)

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_quota_refusal_lands_on_each_resource_it_names(self):
        self.mock_catalogue()
        message = 'Quota exceeded for resources: ram (limit 1024), volumes (limit 2).'
        self.mock_instance_create.side_effect = helpers.api_error(413, message)
        res = self.client.post(LAUNCH_URL, form_data())
        errors = self.step_errors(res, 'details')
        self.assertEqual([message], errors['flavor'])
        self.assertEqual([message], errors['volume'])

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_refusal_naming_no_field_shows_atop_details(self):
        self.mock_catalogue()
        self.mock_instance_create.side_effect = helpers.api_error(409, 'Try again later.')
        res = self.client.post(LAUNCH_URL, form_data())
        self.assertEqual(['Try again later.'], self.step_errors(res, 'details')['__all__'])

    @helpers.create_mocks({trove: CATALOGUE_CALLS + ('instance_create',)})
    def test_refusal_about_cidrs_opens_the_access_step(self):
        self.mock_catalogue()
        self.mock_instance_create.side_effect = helpers.api_error(
            400, "allowed_cidrs: '1.2.3.4/40' is not a CIDR.")
        res = self.client.post(LAUNCH_URL, form_data())
        self.assertIn('allowed_cidrs', self.step_errors(res, 'access'))
        self.assertEqual('access', self.workflow(res).get_entry_point())

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_unreachable_api_returns_to_the_list_with_a_message(self):
        self.mock_datastore_list.side_effect = helpers.api_error(500, 'database is locked')
        res = self.client.get(LAUNCH_URL)
        self.assertRedirectsNoFollow(res, INDEX_URL)


class FieldOfMessageTests(helpers.TestCase):

    def test_messages_map_to_fields(self):
        cases = {
            "Availability zone 'x' does not exist; zones: nova.": [('details',
                                                                   'availability_zone')],
            "Volume type 'gold' is not allowed": [('details', 'volume_type')],
            'Volume size must be between 1 and 100 GB.': [('details', 'volume')],
            "Network 'x' does not exist; networks: default (1).": [('networking', 'network')],
            'nics: name the network (net-id or network_id) or its subnet (subnet_id).': [
                ('networking', 'network')],
            'mysql does not support users.': [('initialize', 'user')],
            'configuration (configuration groups) is not available': [('advanced',
                                                                       'configuration')],
            'Something else entirely.': [],
        }
        for message, expected in cases.items():
            self.assertEqual(expected, launch.fields_for(message), message)


class LaunchChoicesTests(LaunchTestCase):

    @helpers.create_mocks({trove: ('datastore_list', 'version_flavors',
                                   'version_volume_types')})
    def test_choices_of_another_version_as_json(self):
        self.mock_datastore_list.return_value = helpers.datastore_list()
        self.mock_version_flavors.return_value = helpers.flavor_list()[:1]
        self.mock_version_volume_types.return_value = helpers.volume_type_list()[1:]

        res = self.client.get(CHOICES_URL, {'datastore_version': helpers.REDIS_REF})

        body = json.loads(res.content)
        self.assertEqual(['root'], body['capabilities'])
        self.assertEqual([['1', 'db.tiny (1 VCPU, 256 MB RAM)']], body['flavors'])
        self.assertEqual([['fast', 'fast: Fast root']], body['volume_types'])
        self.assertEqual([], body['modules'])
        self.mock_version_flavors.assert_called_once_with(
            helpers.IsHttpRequest(), helpers.REDIS_ID, helpers.REDIS_70)

    @helpers.create_mocks({trove: ('datastore_list',)})
    def test_unknown_version_is_a_404(self):
        self.mock_datastore_list.return_value = helpers.datastore_list()
        res = self.client.get(CHOICES_URL, {'datastore_version': 'nope/nope'})
        self.assertEqual(404, res.status_code)
