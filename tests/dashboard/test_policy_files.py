"""The dashboard's copy of the API's default policy stays the API's."""
import os

import yaml

from api_service.common import policies

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
