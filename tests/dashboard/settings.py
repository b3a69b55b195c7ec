"""Django settings for the dashboard's unit tests: Horizon's test settings plus our plugin,
wired through our enabled files exactly as a deployment wires it."""
import os

from openstack_dashboard import enabled as horizon_enabled
from openstack_dashboard.test.settings import *  # noqa: F401,F403
from openstack_dashboard.test import settings as horizon_test_settings
from openstack_dashboard.utils import settings as settings_utils

from trove_dashboard import enabled as trove_enabled

# Rebuild the dashboards from Horizon's enabled files and ours (Horizon's test settings
# built them from Horizon's alone).
INSTALLED_APPS = [
    'django.contrib.contenttypes', 'django.contrib.auth', 'django.contrib.sessions',
    'django.contrib.staticfiles', 'django.contrib.messages', 'django.contrib.humanize',
    'openstack_auth', 'compressor', 'horizon', 'openstack_dashboard',
]
HORIZON_CONFIG = {
    'user_home': None,
    'exceptions': dict(horizon_test_settings.HORIZON_CONFIG['exceptions']),
    'angular_modules': [],
    'js_files': [],
    'password_validator': horizon_test_settings.HORIZON_CONFIG['password_validator'],
    'ajax_poll_interval': 2500,
}
settings_utils.update_dashboards([horizon_enabled, trove_enabled], HORIZON_CONFIG,
                                 INSTALLED_APPS)
settings_utils.find_static_files(HORIZON_CONFIG, AVAILABLE_THEMES,  # noqa: F405
                                 THEME_COLLECTION_DIR, ROOT_PATH)  # noqa: F405

# Our policy files, as local_settings.py configures them; the check itself stays off
# (Horizon's test default) except in the tests that turn it on.
_CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'trove_dashboard', 'conf')
POLICY_FILES = dict(horizon_test_settings.POLICY_FILES,
                    database=os.path.join(_CONF, 'database_policy.yaml'))
DEFAULT_POLICY_FILES = dict(DEFAULT_POLICY_FILES,  # noqa: F405
                            database=os.path.join(_CONF, 'default_policies', 'database.yaml'))

# Our catalogues, as local_settings.py configures them.
LOCALE_PATHS = [os.path.join(os.path.dirname(os.path.dirname(_CONF)), 'locale')]
STATICFILES_FINDERS = tuple(STATICFILES_FINDERS) + (  # noqa: F405
    'trove_dashboard.static_finder.RepositoryStaticFinder',)
