"""Table actions post to the API once per chosen row; policy hides what a rule refuses."""
import os
import tempfile

from django.test.utils import override_settings
from django.urls import reverse
from openstack_auth import policy as auth_policy

from tests.dashboard import helpers
from trove_dashboard.api import trove
from trove_dashboard import policy

INDEX_URL = reverse('horizon:project:databases:index')
LIST_CALLS = ('instance_list', 'flavor_list', 'datastore_list')


class ActionTests(helpers.TestCase):

    def mock_list(self, *instances):
        self.mock_instance_list.return_value = (list(instances), None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()

    @helpers.create_mocks({trove: LIST_CALLS + ('instance_delete',)})
    def test_delete_several(self):
        a, b = helpers.named('a'), helpers.named('b', 'ERROR')
        self.mock_list(a, b)
        res = self.client.post(INDEX_URL, {'action': 'instances__delete',
                                           'object_ids': [a.id, b.id]})
        self.assertRedirectsNoFollow(res, INDEX_URL)
        self.assertEqual(2, self.mock_instance_delete.call_count)

    @helpers.create_mocks({trove: LIST_CALLS + ('instance_restart',)})
    def test_restart(self):
        a = helpers.named('a')
        self.mock_list(a)
        self.client.post(INDEX_URL, {'action': 'instances__restart__%s' % a.id})
        self.mock_instance_restart.assert_called_once_with(helpers.IsHttpRequest(), a.id)

    @helpers.create_mocks({trove: LIST_CALLS + ('instance_restart',)})
    def test_restart_refused_for_a_building_row(self):
        a = helpers.named('a', 'BUILD')
        self.mock_list(a)
        self.client.post(INDEX_URL, {'action': 'instances__restart__%s' % a.id})
        self.mock_instance_restart.assert_not_called()

    @helpers.create_mocks({trove: LIST_CALLS + ('root_disable',)})
    def test_disable_root(self):
        a = helpers.named('a')
        self.mock_list(a)
        self.client.post(INDEX_URL, {'action': 'instances__disable_root__%s' % a.id})
        self.mock_root_disable.assert_called_once_with(helpers.IsHttpRequest(), a.id)

    @helpers.create_mocks({trove: LIST_CALLS + ('instance_restart',)})
    def test_api_refusal_of_an_action_is_reported(self):
        a = helpers.named('a')
        self.mock_list(a)
        self.mock_instance_restart.side_effect = helpers.api_error(409, 'Instance is busy.')
        res = self.client.post(INDEX_URL, {'action': 'instances__restart__%s' % a.id})
        self.assertMessageCount(error=1)
        self.assertRedirectsNoFollow(res, INDEX_URL)


@override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
class PolicyTests(helpers.TestCase):
    """Our policy files and the check that supplies Trove's `tenant` target."""

    def setUp(self):
        super().setUp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)

    def row_actions(self):
        self.mock_instance_list.return_value = ([helpers.named('a')], None)
        self.mock_flavor_list.return_value = helpers.flavor_list()
        self.mock_datastore_list.return_value = helpers.datastore_list()
        table = self.client.get(INDEX_URL).context['table']
        return ({a.name for a in table.get_row_actions(table.data[0])},
                {a.name for a in table.get_table_actions()})

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_members_may_do_what_the_api_lets_owners_do(self):
        rows, tables = self.row_actions()
        # Disable Root only where root is known enabled: the detail page, not the list.
        self.assertEqual({'restart', 'resize_volume', 'resize_flavor', 'enable_root',
                          'rename', 'delete'}, rows)
        self.assertEqual({'launch', 'delete'}, tables)

    @helpers.create_mocks({trove: LIST_CALLS})
    def test_an_override_hides_the_action(self):
        with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as handle:
            handle.write('"instance:restart": "rule:admin"\n'
                         '"instance:create": "rule:admin"\n')
        self.addCleanup(os.unlink, handle.name)
        from django.conf import settings
        files = dict(settings.POLICY_FILES, database=handle.name)
        with override_settings(POLICY_FILES=files):
            auth_policy.reset()
            rows, tables = self.row_actions()
        self.assertNotIn('restart', rows)
        self.assertIn('rename', rows)
        self.assertNotIn('launch', tables)

    def test_owner_rule_passes_with_the_tenant_target(self):
        self.assertTrue(policy.check((('database', 'instance:restart'),), self.request))
        self.assertFalse(policy.check((('database', 'instance:reset_status'),), self.request))
