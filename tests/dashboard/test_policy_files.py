"""The dashboard's copy of the API's default policy stays the API's, and Horizon reads roles
as the API does."""
import os

import yaml
from django.test.utils import override_settings
from openstack_auth import policy as auth_policy

from api_service.common import policies
from tests.dashboard import helpers
from trove_dashboard import policy as dashboard_policy

DEFAULTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'trove_dashboard', 'conf', 'default_policies',
    'database.yaml')
REGENERATE = ('regenerate it: DJANGO_SETTINGS_MODULE=openstack_dashboard.settings '
              'python manage.py dump_default_policies --namespace dbaas --output-file '
              'trove_dashboard/conf/default_policies/database.yaml')


def test_default_policies_match_the_apis_rules():
    with open(DEFAULTS) as handle:
        shipped = {rule['name']: rule['check_str'] for rule in yaml.safe_load(handle)}
    api = {rule.name: rule.check_str for rule in policies.list_rules()}
    assert shipped == api, REGENERATE


def test_overrides_file_is_valid_yaml():
    with open(os.path.join(os.path.dirname(os.path.dirname(DEFAULTS)),
                           'database_policy.yaml')) as handle:
        assert yaml.safe_load(handle) == {}


@override_settings(POLICY_CHECK_FUNCTION='trove_dashboard.policy.check')
class RoleTests(helpers.TestCase):
    """Horizon shows a reader what the API lets a reader do, and no more."""

    def setUp(self):
        super().setUp()
        auth_policy.reset()
        self.addCleanup(auth_policy.reset)

    def allowed(self, rule):
        return dashboard_policy.check((('database', rule),), self.request)

    def test_a_reader_sees_reads_and_no_changes(self):
        self._setup_user(roles=[{'id': '3', 'name': 'reader'}])
        for rule in ('instance:index', 'instance:show', 'backup:index', 'datastore:index'):
            self.assertTrue(self.allowed(rule), rule)
        for rule in ('instance:create', 'instance:delete', 'instance:restart', 'backup:create'):
            self.assertFalse(self.allowed(rule), rule)

    def test_a_member_changes_what_its_project_owns_and_no_more(self):
        self._setup_user(roles=[{'id': '2', 'name': 'member'}])
        self.assertTrue(self.allowed('instance:index'))
        self.assertTrue(self.allowed('instance:delete'))
        self.assertFalse(self.allowed('instance:reset_status'))
        self.assertFalse(self.allowed('mgmt:instance:index'))

    def test_another_role_alone_sees_only_the_catalogue(self):
        self._setup_user(roles=[{'id': '4', 'name': 'service'}])
        self.assertTrue(self.allowed('flavor:index'))
        self.assertFalse(self.allowed('instance:index'))
